namespace Smp.Devices.Platform;

/// <summary>
/// The Differentiated System Description Table: as little AML as a Linux kernel needs from this platform. In ASL:
/// <code>
/// DefinitionBlock ("", "DSDT", 2, "SMP", "SMPPC", 1)
/// {
///     Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero })   // SLP_TYPa/b = PIIX4 soft off
///     Scope (\_SB)
///     {
///         Device (PCI0)                                         // the i440FX host bridge
///         {
///             Name (_HID, EisaId ("PNP0A03"))
///             Name (_ADR, Zero)
///             Name (_UID, Zero)
///             Name (_CRS, ResourceTemplate ()
///             {
///                 WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0x00, 0xFF, 0, 0x100)
///                 IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
///                 WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, 0x0000, 0x0CF7, 0, 0x0CF8)
///                 WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, 0x0D00, 0xFFFF, 0, 0xF300)
///                 DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
///                              0, 0x000A0000, 0x000BFFFF, 0, 0x00020000)
///                 DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
///                              0, PCI_BASE, 0xFEBFFFFF, 0, 0xFEC00000 - PCI_BASE)
///             })
///             Device (ISA)                                      // the PIIX3 PCI-to-ISA bridge, 00:01.0
///             {
///                 Name (_ADR, 0x00010000)
///                 Device (KBD)                                  // the 8042's keyboard port
///                 {
///                     Name (_HID, EisaId ("PNP0303"))
///                     Name (_CRS, ResourceTemplate ()
///                     {
///                         IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
///                         IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
///                         IRQNoFlags () {1}
///                     })
///                 }
///                 Device (MOU)                                  // its auxiliary (PS/2 mouse) port
///                 {
///                     Name (_HID, EisaId ("PNP0F13"))
///                     Name (_CRS, ResourceTemplate () { IRQNoFlags () {12} })
///                 }
///                 Device (RTC)                                  // the MC146818 CMOS clock
///                 {
///                     Name (_HID, EisaId ("PNP0B00"))
///                     Name (_CRS, ResourceTemplate ()
///                     {
///                         IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
///                         IRQNoFlags () {8}
///                     })
///                 }
///             }
///         }
///     }
/// }
/// </code>
/// Revision 2 makes integers 64-bit (ACPI §5.2.11.1). The windows are what the host bridge forwards to PCI: all
/// I/O ports except its own configuration ports, the VGA window, and the memory between the end of low RAM and the
/// I/O APIC. The PS/2 controller and the RTC are described as PC firmware describes them, so operating systems find
/// them through ACPI (Linux: "i8042: PNP: PS/2 Controller [PNP0303:KBD,PNP0f13:MOU]", "rtc_cmos 00:02") instead of
/// probing the ports blindly.
/// </summary>
internal static class Dsdt
{
    // The RTC's ISA interrupt (IRQ8 on every PC).
    private const int RtcIrq = 8;

    /// <summary>The DSDT's revision (2: 64-bit integers).</summary>
    public const byte Revision = 2;

    /// <summary>Builds the whole table (header with checksum 0; the caller fills the checksum).</summary>
    /// <param name="pciMemoryBase">The first address of the PCI memory window.</param>
    public static byte[] Build(uint pciMemoryBase)
    {
        byte[] crs =
        [
            .. AcpiResources.Word(AcpiResources.SpaceType.BusNumber, 0x00, 0xFF),
            .. AcpiResources.Io(PciConfigSpace.AddressPort, PciConfigSpace.AddressPort, 0x01, 0x08),
            .. AcpiResources.Word(AcpiResources.SpaceType.Io, 0x0000, PciConfigSpace.AddressPort - 1),
            .. AcpiResources.Word(AcpiResources.SpaceType.Io, PciConfigSpace.AddressPort + 8, 0xFFFF),
            .. AcpiResources.DWordMemory(0x000A_0000, 0x000B_FFFF, cacheable: true),
            .. AcpiResources.DWordMemory(pciMemoryBase, (uint)IoApic.DefaultBase - 1, cacheable: false),
            .. AcpiResources.EndTag(),
        ];
        byte[] aml =
        [
            .. Aml.Name("\\_S5", Aml.Package(Aml.Integer(AcpiPm.SoftOffSleepType), Aml.Integer(AcpiPm.SoftOffSleepType), Aml.Integer(0), Aml.Integer(0))),
            .. Aml.Scope("\\_SB", Aml.Device("PCI0",
                Aml.Name("_HID", Aml.EisaId("PNP0A03")),
                Aml.Name("_ADR", Aml.Integer(0)),
                Aml.Name("_UID", Aml.Integer(0)),
                Aml.Name("_CRS", Aml.Buffer(crs)),
                Aml.Device("ISA",
                    Aml.Name("_ADR", Aml.Integer(0x0001_0000)),
                    Aml.Device("KBD",
                        Aml.Name("_HID", Aml.EisaId("PNP0303")),
                        Aml.Name("_CRS", Aml.Buffer([
                            .. AcpiResources.Io(I8042.DataPort, I8042.DataPort, 0x01, 0x01),
                            .. AcpiResources.Io(I8042.CommandPort, I8042.CommandPort, 0x01, 0x01),
                            .. AcpiResources.Irq(I8042.KeyboardIrq),
                            .. AcpiResources.EndTag()]))),
                    Aml.Device("MOU",
                        Aml.Name("_HID", Aml.EisaId("PNP0F13")),
                        Aml.Name("_CRS", Aml.Buffer([.. AcpiResources.Irq(I8042.AuxIrq), .. AcpiResources.EndTag()]))),
                    Aml.Device("RTC",
                        Aml.Name("_HID", Aml.EisaId("PNP0B00")),
                        Aml.Name("_CRS", Aml.Buffer([
                            .. AcpiResources.Io(CmosRtc.IndexPort, CmosRtc.IndexPort, 0x01, 0x02),
                            .. AcpiResources.Irq(RtcIrq),
                            .. AcpiResources.EndTag()])))))),
        ];
        byte[] table = new byte[36 + aml.Length];
        AcpiTables.WriteHeader(table, "DSDT", Revision);
        aml.CopyTo(table, 36);
        return table;
    }
}
