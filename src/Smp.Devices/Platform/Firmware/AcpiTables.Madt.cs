using System.Buffers.Binary;

namespace Smp.Devices.Platform;

public sealed partial class AcpiTables
{
    /// <summary>MPS INTI flags (ACPI §5.2.12.5, Table 5.26): polarity bits 1:0, trigger mode bits 3:2; 0 = bus default.</summary>
    internal const ushort ActiveHighLevel = 0x000D, ConformsToBus = 0x0000;

    /// <summary>
    /// The interrupt source overrides QEMU's <c>pc</c> declares (hw/i386/acpi-common.c, build_madt): ISA IRQ0 (the
    /// PIT, or HPET timer 0 in legacy replacement) on GSI 2, and the PCI-capable IRQs 5, 9 (the SCI), 10 and 11
    /// level-triggered, active high on their own GSIs.
    /// </summary>
    internal static readonly (byte Source, uint Gsi, ushort Flags)[] InterruptOverrides =
    [
        (0, 2, ConformsToBus),
        (5, 5, ActiveHighLevel),
        (AcpiPm.SciIrq, AcpiPm.SciIrq, ActiveHighLevel),
        (10, 10, ActiveHighLevel),
        (11, 11, ActiveHighLevel),
    ];

    private static byte[] BuildMadt(IReadOnlyList<byte> apicIds, byte ioApicId)
    {
        const int LocalApicEntry = 8, IoApicEntry = 12, OverrideEntry = 10, LocalNmiEntry = 6;
        int length = HeaderSize + 8 + apicIds.Count * LocalApicEntry + IoApicEntry + InterruptOverrides.Length * OverrideEntry + LocalNmiEntry;
        byte[] m = new byte[length];
        WriteHeader(m, "APIC", 1);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(0x24), LocalApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(0x28), 1); // PCAT_COMPAT: dual 8259s present, mask them for APIC mode
        int p = 0x2C;
        for (int i = 0; i < apicIds.Count; i++)
        {
            // Type 0, processor local APIC: UID, APIC ID, flags (bit 0 enabled).
            m[p] = 0; m[p + 1] = LocalApicEntry; m[p + 2] = (byte)i; m[p + 3] = apicIds[i];
            BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(p + 4), 1);
            p += LocalApicEntry;
        }

        // Type 1, I/O APIC: ID, reserved, address, GSI base 0.
        m[p] = 1; m[p + 1] = IoApicEntry; m[p + 2] = ioApicId;
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(p + 4), IoApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(p + 8), 0);
        p += IoApicEntry;
        foreach (var (source, gsi, flags) in InterruptOverrides)
        {
            // Type 2, interrupt source override: bus 0 (ISA), source IRQ, GSI, MPS INTI flags.
            m[p] = 2; m[p + 1] = OverrideEntry; m[p + 2] = 0; m[p + 3] = source;
            BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(p + 4), gsi);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(p + 8), flags);
            p += OverrideEntry;
        }

        // Type 4, local APIC NMI: every processor (UID 0xFF) has NMI on LINT1, as QEMU describes it.
        m[p] = 4; m[p + 1] = LocalNmiEntry; m[p + 2] = 0xFF;
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(p + 3), 0);
        m[p + 5] = 1;
        return m;
    }
}
