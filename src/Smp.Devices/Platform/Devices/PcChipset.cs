namespace Smp.Devices.Platform;

/// <summary>
/// The PCI functions of QEMU's <c>pc</c> chipset that the platform models, with the reset values of their datasheets
/// (and QEMU's where it sets them): the 82441FX (i440FX) host bridge at 00:00.0 and the 82371SB (PIIX3) PCI-to-ISA
/// bridge at 00:01.0. The PIIX3's IDE (00:01.1) and the PIIX4 power-management function (00:01.3) are not present;
/// the ACPI registers that function would decode are always at <see cref="AcpiPm.BasePort"/>.
/// </summary>
public static class PcChipset
{
    /// <summary>Intel's PCI vendor ID.</summary>
    public const ushort IntelVendorId = 0x8086;

    /// <summary>82441FX PMC device ID.</summary>
    public const ushort I440fxDeviceId = 0x1237;

    /// <summary>82371SB PIIX3 function 0 (PCI-to-ISA bridge) device ID.</summary>
    public const ushort Piix3IsaDeviceId = 0x7000;

    /// <summary>
    /// The 82441FX PCI and memory controller (datasheet §3.2): class 06 00 00 (host bridge), revision 02h, command 0006h
    /// (memory access and bus master hardwired on), status 0280h (fast back-to-back, medium DEVSEL); no BARs. PAM0–6
    /// (59h–5Fh) and SMRAM (72h, reset 02h) are kept but do not remap anything: the BIOS area stays ROM.
    /// </summary>
    public static PciFunction I440fxHostBridge(DeviceLog? log = null)
    {
        var f = new PciFunction("i440fx", IntelVendorId, I440fxDeviceId, 0x02, 0x060000, 0x00, log)
            .Set(0x04, 2, 0x0006).Writable(0x04, 2, 0x0140).Set(0x06, 2, 0x0280)
            .Writable(0x0D, 1, 0xF8)                                     // MLT: latency timer, bits 7:3
            .Writable(0x50, 4, 0xFFFF_FFFF).Writable(0x54, 4, 0xFFFF_FFFF) // PMCCFG, DETURBO, DBC, AXC, DRAMR ...
            .Writable(0x57, 2, 0xFFFF).Writable(0x59, 7, 0x3333_3333)      // DRAMC, DRAMT, PAM0–6 (RE/WE pairs)
            .Writable(0x60, 8, 0xFFFF_FFFF).Writable(0x64, 4, 0xFFFF_FFFF) // DRB0–7
            .Writable(0x68, 1, 0xFF).Writable(0x70, 2, 0xFFFF)            // FDHC, MTT, CLT
            .Set(0x72, 1, 0x02).Writable(0x72, 1, 0x78)                   // SMRAM: D_OPEN, D_CLS, D_LCK, G_SMRAME
            .Writable(0x90, 1, 0xFF).ClearOnOne(0x91, 1, 0xFF).Writable(0x93, 1, 0x06);
        f.Watch(0x59, 7, "PAM shadow-RAM attributes (the BIOS area stays read-only ROM)")
         .Watch(0x72, 1, "SMRAM control (there is no SMM)");
        return f;
    }

    /// <summary>
    /// The 82371SB PIIX3 PCI-to-ISA bridge, function 0 (datasheet §2.2; reset values as QEMU's piix3_reset): class
    /// 06 01 00, header type 80h (a multi-function device: its other functions are absent here), command 0007h,
    /// status 0200h; IORT 4Dh, XBCS 03h, PIRQRC[A–D] 80h (routing disabled), TOM 02h, MBIRQ0 80h, MBDMA 0Ch, PCSC 0002h,
    /// APICBASE 00h, DLC 00h, SMICNTL 08h, FTMR 0Fh.
    /// </summary>
    public static PciFunction Piix3IsaBridge(DeviceLog? log = null)
    {
        var f = new PciFunction("piix3", IntelVendorId, Piix3IsaDeviceId, 0x00, 0x060100, 0x80, log)
            .Set(0x04, 2, 0x0007).Writable(0x04, 2, 0x0148).Set(0x06, 2, 0x0200)
            .Set(0x4C, 1, 0x4D).Set(0x4E, 1, 0x03).Writable(0x4C, 4, 0xFFFF_FFFF)
            .Set(0x60, 4, 0x8080_8080).Writable(0x60, 4, 0x8F8F_8F8F)
            .Set(0x69, 1, 0x02).Writable(0x69, 3, 0xFF_FFFF)
            .Set(0x70, 1, 0x80).Writable(0x70, 1, 0xCF)
            .Set(0x76, 2, 0x0C0C).Writable(0x76, 2, 0x8F8F)
            .Set(0x78, 2, 0x0002).Writable(0x78, 2, 0xFFFF)
            .Writable(0x80, 1, 0x3F).Writable(0x82, 1, 0x0F)
            .Set(0xA0, 1, 0x08).Writable(0xA0, 2, 0xFFFF).Writable(0xA2, 2, 0xFFFF).Writable(0xA4, 4, 0xFFFF_FFFF)
            .Set(0xA8, 1, 0x0F).Writable(0xA8, 1, 0xFF).Writable(0xAA, 2, 0xFFFF).Writable(0xAC, 4, 0xFFFF_FFFF);
        f.Watch(0x60, 4, "PIRQ routing (no PCI device raises INTx)")
         .Watch(0x70, 1, "motherboard IRQ routing")
         .Watch(0x80, 1, "I/O APIC base relocation (the I/O APIC stays at 0xFEC00000)")
         .Watch(0xA0, 2, "SMI control (there is no SMM)");
        return f;
    }
}
