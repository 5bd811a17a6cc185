using System.Buffers.Binary;

namespace Smp.Devices.Platform;

/// <summary>
/// Builds the ACPI tables an SMP guest needs to find its CPUs: RSDP (ACPI 1.0, 20 bytes, or 2.0, 36 bytes with an
/// XSDT), RSDT and MADT. There is no FADT/DSDT; Linux then runs without ACPI power management, which our guests
/// do not need. Layouts follow the ACPI specification (table header, MADT entry types 0, 1, 2 and 4) and fact E.
/// </summary>
public sealed class AcpiTables
{
    /// <summary>A 16-byte aligned spot in the BIOS area, where Linux's RSDP scan (0xE0000–0xFFFFF) finds it.</summary>
    public const ulong DefaultRsdpAddress = 0xF0000;

    /// <summary>The local APIC address the MADT reports.</summary>
    public const uint LocalApicAddress = 0xFEE00000;

    /// <summary>The I/O APIC address the MADT reports.</summary>
    public const uint IoApicAddress = 0xFEC00000;

    private const int HeaderSize = 36;
    private const string OemId = "SMP", OemTableId = "SMPPC", CreatorId = "SMP";

    private AcpiTables(ulong rsdpAddress, ulong rsdtAddress, ulong xsdtAddress, ulong madtAddress, FirmwareBlob rsdp, FirmwareBlob tables)
    {
        RsdpAddress = rsdpAddress;
        RsdtAddress = rsdtAddress;
        XsdtAddress = xsdtAddress;
        MadtAddress = madtAddress;
        Rsdp = rsdp;
        Tables = tables;
    }

    /// <summary>Where the RSDP is placed; hand this to the guest (or let it scan the BIOS area).</summary>
    public ulong RsdpAddress { get; }

    /// <summary>Where the RSDT is placed.</summary>
    public ulong RsdtAddress { get; }

    /// <summary>Where the XSDT is placed, or 0 for ACPI 1.0 tables.</summary>
    public ulong XsdtAddress { get; }

    /// <summary>Where the MADT is placed.</summary>
    public ulong MadtAddress { get; }

    /// <summary>The RSDP bytes at <see cref="RsdpAddress"/>.</summary>
    public FirmwareBlob Rsdp { get; }

    /// <summary>The RSDT, XSDT (if any) and MADT, contiguous from the tables address.</summary>
    public FirmwareBlob Tables { get; }

    /// <summary>Both blobs, RSDP first.</summary>
    public IReadOnlyList<FirmwareBlob> Blobs => [Rsdp, Tables];

    /// <summary>Copies every blob into RAM.</summary>
    public void WriteTo(Memory.PhysicalMemory memory)
    {
        foreach (FirmwareBlob blob in Blobs) blob.WriteTo(memory);
    }

    /// <summary>Builds the tables.</summary>
    /// <param name="apicIds">Local APIC IDs of the CPUs, boot CPU first; processor UIDs are their indices.</param>
    /// <param name="ioApicId">The I/O APIC's ID.</param>
    /// <param name="tablesAddress">Where the RSDT/XSDT/MADT block goes (e.g. <see cref="MemoryMap.AcpiBase"/>).</param>
    /// <param name="rsdpAddress">Where the RSDP goes (16-byte aligned, in the BIOS area or the EBDA's first KiB).</param>
    /// <param name="useXsdt">True for an ACPI 2.0 RSDP that also points at an XSDT.</param>
    public static AcpiTables Build(IReadOnlyList<byte> apicIds, byte ioApicId, ulong tablesAddress, ulong rsdpAddress = DefaultRsdpAddress, bool useXsdt = false)
    {
        ArgumentNullException.ThrowIfNull(apicIds);
        if (apicIds.Count is 0 or > 255) throw new ArgumentOutOfRangeException(nameof(apicIds), "between 1 and 255 CPUs are supported.");
        if (rsdpAddress % 16 != 0) throw new ArgumentException("The RSDP must be 16-byte aligned.", nameof(rsdpAddress));

        byte[] madt = BuildMadt(apicIds, ioApicId);
        ulong rsdtAddress = tablesAddress;
        int rsdtLength = HeaderSize + 4;
        ulong xsdtAddress = useXsdt ? FirmwareBytes.AlignUp(rsdtAddress + (ulong)rsdtLength, 16) : 0;
        int xsdtLength = HeaderSize + 8;
        ulong madtAddress = FirmwareBytes.AlignUp(useXsdt ? xsdtAddress + (ulong)xsdtLength : rsdtAddress + (ulong)rsdtLength, 16);
        if (madtAddress + (ulong)madt.Length > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(tablesAddress), "ACPI tables must lie below 4 GiB for the RSDT.");

        byte[] block = new byte[madtAddress - tablesAddress + (ulong)madt.Length];
        Span<byte> rsdt = block.AsSpan(0, rsdtLength);
        WriteHeader(rsdt, "RSDT", rsdtLength, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdt[HeaderSize..], (uint)madtAddress);
        rsdt[9] = FirmwareBytes.Checksum(rsdt);
        if (useXsdt)
        {
            Span<byte> xsdt = block.AsSpan((int)(xsdtAddress - tablesAddress), xsdtLength);
            WriteHeader(xsdt, "XSDT", xsdtLength, 1);
            BinaryPrimitives.WriteUInt64LittleEndian(xsdt[HeaderSize..], madtAddress);
            xsdt[9] = FirmwareBytes.Checksum(xsdt);
        }
        madt.CopyTo(block.AsSpan((int)(madtAddress - tablesAddress)));

        byte[] rsdp = BuildRsdp((uint)rsdtAddress, xsdtAddress, useXsdt);
        return new AcpiTables(rsdpAddress, rsdtAddress, xsdtAddress, madtAddress, new FirmwareBlob(rsdpAddress, rsdp), new FirmwareBlob(tablesAddress, block));
    }

    private static byte[] BuildRsdp(uint rsdtAddress, ulong xsdtAddress, bool v2)
    {
        // RSDP: "RSD PTR ", checksum over bytes 0–19, OEMID, revision (0 = ACPI 1.0, 2 = 2.0+), RSDT address;
        // 2.0 adds length, XSDT address, an extended checksum over all 36 bytes and 3 reserved bytes.
        byte[] r = new byte[v2 ? 36 : 20];
        "RSD PTR "u8.CopyTo(r);
        FirmwareBytes.Ascii(r.AsSpan(9), OemId, 6);
        r[15] = (byte)(v2 ? 2 : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(16), rsdtAddress);
        r[8] = FirmwareBytes.Checksum(r.AsSpan(0, 20));
        if (v2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(20), 36);
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(24), xsdtAddress);
            r[32] = FirmwareBytes.Checksum(r);
        }
        return r;
    }

    private static byte[] BuildMadt(IReadOnlyList<byte> apicIds, byte ioApicId)
    {
        const int LocalApicEntry = 8, IoApicEntry = 12, OverrideEntry = 10, LocalNmiEntry = 6;
        int length = HeaderSize + 8 + apicIds.Count * LocalApicEntry + IoApicEntry + OverrideEntry + LocalNmiEntry;
        byte[] m = new byte[length];
        WriteHeader(m, "APIC", length, 1);
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
        // Type 2, interrupt source override: ISA IRQ0 (the PIT) arrives on GSI 2, as on QEMU's machines; flags 0 = conforms to ISA.
        m[p] = 2; m[p + 1] = OverrideEntry; m[p + 2] = 0; m[p + 3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(p + 4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(p + 8), 0);
        p += OverrideEntry;
        // Type 4, local APIC NMI: every processor (UID 0xFF) has NMI on LINT1, as QEMU describes it.
        m[p] = 4; m[p + 1] = LocalNmiEntry; m[p + 2] = 0xFF;
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(p + 3), 0);
        m[p + 5] = 1;
        m[9] = FirmwareBytes.Checksum(m);
        return m;
    }

    private static void WriteHeader(Span<byte> table, string signature, int length, byte revision)
    {
        // Signature, length, revision, checksum (filled last), OEMID, OEM table ID, OEM revision, creator ID, creator revision.
        FirmwareBytes.Ascii(table, signature, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(table[4..], (uint)length);
        table[8] = revision;
        FirmwareBytes.Ascii(table[10..], OemId, 6);
        FirmwareBytes.Ascii(table[16..], OemTableId, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(table[24..], 1);
        FirmwareBytes.Ascii(table[28..], CreatorId, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(table[32..], 1);
    }
}
