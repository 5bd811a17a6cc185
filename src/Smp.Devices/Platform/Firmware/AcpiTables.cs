using System.Buffers.Binary;

namespace Smp.Devices.Platform;

/// <summary>
/// Builds the ACPI tables a PC's firmware hands an operating system (ACPI 6.4 chapter 5): an RSDP of revision 2
/// (36 bytes) pointing at both an RSDT and an XSDT, which list the MADT (CPUs, the I/O APIC, interrupt source
/// overrides as QEMU's <c>pc</c> gives them), the FADT (revision 3; PM1a event/control blocks, PM timer, SCI, reset
/// register, century, IAPC_BOOT_ARCH) with its FACS and DSDT (<see cref="Dsdt"/>), and the HPET description table.
/// Every address the tables give is that of a device this platform models (<see cref="AcpiPm"/>, <see cref="Hpet"/>,
/// <see cref="PciConfigSpace"/>, <see cref="IoApic"/>).
/// </summary>
public sealed partial class AcpiTables
{
    /// <summary>A 16-byte aligned spot in the BIOS area, where Linux's RSDP scan (0xE0000–0xFFFFF) finds it.</summary>
    public const ulong DefaultRsdpAddress = 0xF0000;

    /// <summary>The local APIC address the MADT reports.</summary>
    public const uint LocalApicAddress = 0xFEE00000;

    /// <summary>The I/O APIC address the MADT reports.</summary>
    public const uint IoApicAddress = (uint)IoApic.DefaultBase;

    private const int HeaderSize = 36;
    private const string OemId = "SMP", OemTableId = "SMPPC", CreatorId = "SMP";

    private AcpiTables(ulong rsdpAddress, IReadOnlyDictionary<string, ulong> addresses, FirmwareBlob rsdp, FirmwareBlob tables)
    {
        RsdpAddress = rsdpAddress;
        _addresses = addresses;
        Rsdp = rsdp;
        Tables = tables;
    }

    private readonly IReadOnlyDictionary<string, ulong> _addresses;

    /// <summary>Where the RSDP is placed; hand this to the guest (or let it scan the BIOS area).</summary>
    public ulong RsdpAddress { get; }

    /// <summary>Where the RSDT is placed (the start of the tables block).</summary>
    public ulong RsdtAddress => _addresses["RSDT"];

    /// <summary>Where the XSDT is placed.</summary>
    public ulong XsdtAddress => _addresses["XSDT"];

    /// <summary>Where the MADT is placed.</summary>
    public ulong MadtAddress => _addresses["APIC"];

    /// <summary>Where the FADT is placed.</summary>
    public ulong FadtAddress => _addresses["FACP"];

    /// <summary>Where the FACS is placed (64-byte aligned).</summary>
    public ulong FacsAddress => _addresses["FACS"];

    /// <summary>Where the DSDT is placed.</summary>
    public ulong DsdtAddress => _addresses["DSDT"];

    /// <summary>Where the HPET description table is placed.</summary>
    public ulong HpetAddress => _addresses["HPET"];

    /// <summary>The RSDP bytes at <see cref="RsdpAddress"/>.</summary>
    public FirmwareBlob Rsdp { get; }

    /// <summary>Every other table, contiguous from the tables address (RSDT first).</summary>
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
    /// <param name="tablesAddress">Where the tables block goes (e.g. <see cref="MemoryMap.AcpiBase"/>); it must lie below 4 GiB.</param>
    /// <param name="rsdpAddress">Where the RSDP goes (16-byte aligned, in the BIOS area or the EBDA's first KiB).</param>
    /// <param name="pciMemoryBase">The first address of the PCI memory window the DSDT's host bridge decodes (the end of low RAM).</param>
    public static AcpiTables Build(IReadOnlyList<byte> apicIds, byte ioApicId, ulong tablesAddress, ulong rsdpAddress = DefaultRsdpAddress,
        ulong pciMemoryBase = 0x8000_0000)
    {
        ArgumentNullException.ThrowIfNull(apicIds);
        if (apicIds.Count is 0 or > 255) throw new ArgumentOutOfRangeException(nameof(apicIds), "between 1 and 255 CPUs are supported.");
        if (rsdpAddress % 16 != 0) throw new ArgumentException("The RSDP must be 16-byte aligned.", nameof(rsdpAddress));
        if (pciMemoryBase is < 0x10_0000 or >= IoApic.DefaultBase) throw new ArgumentOutOfRangeException(nameof(pciMemoryBase), "The PCI window must start between 1 MiB and the I/O APIC.");

        // Tables that point at others are written after their targets are placed: lay out first, fill in after.
        const int ListedTables = 3; // MADT, FADT, HPET
        byte[] madt = BuildMadt(apicIds, ioApicId);
        byte[] dsdt = Dsdt.Build((uint)pciMemoryBase);
        var layout = new List<(string Signature, int Length, ulong Alignment)>
        {
            ("RSDT", HeaderSize + 4 * ListedTables, 16),
            ("XSDT", HeaderSize + 8 * ListedTables, 16),
            ("APIC", madt.Length, 16),
            ("FACP", FadtLength, 16),
            ("HPET", HpetTableLength, 16),
            ("FACS", FacsLength, 64), // §5.2.10: the FACS is 64-byte aligned
            ("DSDT", dsdt.Length, 16),
        };
        var at = new Dictionary<string, ulong>();
        ulong next = tablesAddress;
        foreach (var (signature, length, alignment) in layout)
        {
            next = FirmwareBytes.AlignUp(next, alignment);
            at[signature] = next;
            next += (ulong)length;
        }

        if (next > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(tablesAddress), "ACPI tables must lie below 4 GiB for the RSDT.");
        byte[] block = new byte[next - tablesAddress];
        Span<byte> Place(string signature, int length) => block.AsSpan((int)(at[signature] - tablesAddress), length);

        ulong[] listed = [at["APIC"], at["FACP"], at["HPET"]];
        Span<byte> rsdt = Place("RSDT", HeaderSize + 4 * ListedTables);
        WriteHeader(rsdt, "RSDT", 1);
        for (int i = 0; i < listed.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(rsdt[(HeaderSize + 4 * i)..], (uint)listed[i]);
        Span<byte> xsdt = Place("XSDT", HeaderSize + 8 * ListedTables);
        WriteHeader(xsdt, "XSDT", 1);
        for (int i = 0; i < listed.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(xsdt[(HeaderSize + 8 * i)..], listed[i]);
        madt.CopyTo(Place("APIC", madt.Length));
        WriteFadt(Place("FACP", FadtLength), (uint)at["FACS"], (uint)at["DSDT"]);
        WriteHpetTable(Place("HPET", HpetTableLength));
        WriteFacs(Place("FACS", FacsLength));
        dsdt.CopyTo(Place("DSDT", dsdt.Length));
        foreach (string signature in new[] { "RSDT", "XSDT", "APIC", "FACP", "HPET", "DSDT" })
        {
            Span<byte> table = Place(signature, (int)BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan((int)(at[signature] - tablesAddress) + 4)));
            table[9] = 0;
            table[9] = FirmwareBytes.Checksum(table);
        }

        byte[] rsdp = BuildRsdp((uint)at["RSDT"], at["XSDT"]);
        return new AcpiTables(rsdpAddress, at, new FirmwareBlob(rsdpAddress, rsdp), new FirmwareBlob(tablesAddress, block));
    }

    private static byte[] BuildRsdp(uint rsdtAddress, ulong xsdtAddress)
    {
        // RSDP (§5.2.5.3): "RSD PTR ", checksum over bytes 0–19, OEMID, revision 2, RSDT address, length 36, XSDT
        // address, an extended checksum over all 36 bytes and 3 reserved bytes.
        byte[] r = new byte[36];
        "RSD PTR "u8.CopyTo(r);
        FirmwareBytes.Ascii(r.AsSpan(9), OemId, 6);
        r[15] = 2;
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(16), rsdtAddress);
        r[8] = FirmwareBytes.Checksum(r.AsSpan(0, 20));
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(20), 36);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(24), xsdtAddress);
        r[32] = FirmwareBytes.Checksum(r);
        return r;
    }

    /// <summary>Writes a system description table header (§5.2.6); the length is the span's, the checksum is filled last.</summary>
    internal static void WriteHeader(Span<byte> table, string signature, byte revision)
    {
        FirmwareBytes.Ascii(table, signature, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(table[4..], (uint)table.Length);
        table[8] = revision;
        FirmwareBytes.Ascii(table[10..], OemId, 6);
        FirmwareBytes.Ascii(table[16..], OemTableId, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(table[24..], 1);
        FirmwareBytes.Ascii(table[28..], CreatorId, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(table[32..], 1);
    }
}
