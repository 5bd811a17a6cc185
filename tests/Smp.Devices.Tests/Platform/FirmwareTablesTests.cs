using System.Buffers.Binary;
using System.Text;
using Smp.Devices.Memory;
using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class FirmwareTablesTests : IDisposable
{
    private const ulong RamBytes = 16 * 1024 * 1024;
    private readonly PhysicalMemory _memory = new(RamBytes);
    private readonly MemoryMap _map = new(RamBytes);
    private static readonly byte[] ApicIds = [0, 1, 2, 6];

    public void Dispose() => _memory.Dispose();

    private byte[] Bytes(ulong address, int length)
    {
        byte[] b = new byte[length];
        _memory.Copy(address, b);
        return b;
    }

    private static int Sum(byte[] b) => b.Aggregate(0, (s, x) => (s + x) & 0xFF);

    private string Ascii(ulong address, int length) => Encoding.ASCII.GetString(Bytes(address, length));

    /// <summary>Scans like Linux: 16-byte boundaries, signature plus valid checksum over <paramref name="checksummed"/> bytes.</summary>
    private ulong? Scan(ulong start, ulong end, string signature, int checksummed)
    {
        for (ulong a = start; a < end; a += 16)
            if (Ascii(a, signature.Length) == signature && Sum(Bytes(a, checksummed)) == 0) return a;
        return null;
    }

    private byte[] Table(ulong address)
    {
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(Bytes(address + 4, 4));
        byte[] table = Bytes(address, length);
        Assert.Equal(0, Sum(table));
        return table;
    }

    private void AssertMadt(byte[] madt)
    {
        Assert.Equal("APIC", Encoding.ASCII.GetString(madt, 0, 4));
        Assert.Equal(0xFEE00000u, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(0x24)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(0x28)) & 1);
        var cpus = new List<(byte Uid, byte ApicId)>();
        (byte Id, uint Address, uint GsiBase)? ioApic = null;
        (byte Source, uint Gsi)? irq0 = null;
        for (int p = 0x2C; p < madt.Length; p += madt[p + 1])
        {
            Assert.True(madt[p + 1] >= 2);
            switch (madt[p])
            {
                case 0:
                    Assert.Equal(8, madt[p + 1]);
                    if ((BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(p + 4)) & 1) != 0) cpus.Add((madt[p + 2], madt[p + 3]));
                    break;
                case 1:
                    Assert.Equal(12, madt[p + 1]);
                    ioApic = (madt[p + 2], BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(p + 4)), BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(p + 8)));
                    break;
                case 2:
                    Assert.Equal(10, madt[p + 1]);
                    if (madt[p + 3] == 0) irq0 = (madt[p + 3], BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(p + 4)));
                    break;
            }
        }
        Assert.Equal([(0, 0), (1, 1), (2, 2), (3, 6)], cpus);
        Assert.Equal(((byte)4, 0xFEC00000u, 0u), ioApic);
        Assert.Equal(((byte)0, 2u), irq0);
    }

    [Fact]
    public void RsdtListsTheMadtFirstWithValidChecksums()
    {
        var acpi = AcpiTables.Build(ApicIds, ioApicId: 4, tablesAddress: _map.AcpiBase);
        acpi.WriteTo(_memory);

        ulong rsdp = Assert.NotNull(Scan(0xE0000, 0x100000, "RSD PTR ", 20));
        Assert.Equal(acpi.RsdpAddress, rsdp);
        ulong rsdt = BinaryPrimitives.ReadUInt32LittleEndian(Bytes(rsdp + 16, 4));
        Assert.Equal(_map.AcpiBase, rsdt);

        byte[] rsdtTable = Table(rsdt);
        Assert.Equal("RSDT", Encoding.ASCII.GetString(rsdtTable, 0, 4));
        Assert.Equal(36 + 3 * 4, rsdtTable.Length); // MADT, FADT, HPET
        ulong madt = BinaryPrimitives.ReadUInt32LittleEndian(rsdtTable.AsSpan(36));
        AssertMadt(Table(madt));
    }

    [Fact]
    public void AcpiV2RsdpPointsAtXsdt()
    {
        var acpi = AcpiTables.Build(ApicIds, ioApicId: 4, tablesAddress: _map.AcpiBase, rsdpAddress: 0xF0000);
        acpi.WriteTo(_memory);
        byte[] rsdp = Bytes(0xF0000, 36);
        Assert.Equal(0, Sum(rsdp[..20]));
        Assert.Equal(0, Sum(rsdp));
        Assert.Equal(2, rsdp[15]);
        Assert.Equal(36u, BinaryPrimitives.ReadUInt32LittleEndian(rsdp.AsSpan(20)));
        byte[] xsdt = Table(BinaryPrimitives.ReadUInt64LittleEndian(rsdp.AsSpan(24)));
        Assert.Equal("XSDT", Encoding.ASCII.GetString(xsdt, 0, 4));
        AssertMadt(Table(BinaryPrimitives.ReadUInt64LittleEndian(xsdt.AsSpan(36))));
    }

    [Fact]
    public void BlobCopiesIntoARomImage()
    {
        var acpi = AcpiTables.Build(ApicIds, ioApicId: 4, tablesAddress: _map.AcpiBase);
        byte[] rom = new byte[0x10000];
        Assert.True(acpi.Rsdp.CopyInto(rom, 0xF0000));
        Assert.False(acpi.Tables.CopyInto(rom, 0xF0000));
        Assert.Equal("RSD PTR "u8.ToArray(), rom[..8]);
    }

    [Fact]
    public void MpFloatingPointerIsFoundByScanningTheBiosArea()
    {
        var mp = MpTable.Build(ApicIds, ioApicId: 4);
        mp.WriteTo(_memory);

        ulong fp = Assert.NotNull(Scan(0xF0000, 0x100000, "_MP_", 16));
        byte[] pointer = Bytes(fp, 16);
        Assert.Equal(1, pointer[8]);   // length in 16-byte units
        Assert.Equal(4, pointer[9]);   // MP 1.4
        Assert.Equal(0, pointer[11]);  // a configuration table is present

        ulong config = BinaryPrimitives.ReadUInt32LittleEndian(pointer.AsSpan(4));
        Assert.Equal("PCMP", Ascii(config, 4));
        int length = BinaryPrimitives.ReadUInt16LittleEndian(Bytes(config + 4, 2));
        byte[] table = Bytes(config, length);
        Assert.Equal(0, Sum(table));
        Assert.Equal(4, table[6]);
        Assert.Equal(0xFEE00000u, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(0x24)));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(0x22));

        var processors = new List<(byte ApicId, byte Flags)>();
        var isaIrqToPin = new Dictionary<byte, byte>();
        string? busType = null;
        byte? ioApicId = null;
        int p = 0x2C;
        for (int i = 0; i < count; i++)
        {
            switch (table[p])
            {
                case 0: processors.Add((table[p + 1], table[p + 3])); p += 20; break;
                case 1: busType = Encoding.ASCII.GetString(table, p + 2, 6); p += 8; break;
                case 2: ioApicId = table[p + 1]; Assert.Equal(0xFEC00000u, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(p + 4))); p += 8; break;
                case 3: if (table[p + 1] == 0) isaIrqToPin[table[p + 5]] = table[p + 7]; p += 8; break;
                default: Assert.Equal(4, table[p]); p += 8; break;
            }
        }
        Assert.Equal(length, p);
        Assert.Equal([(0, 3), (1, 1), (2, 1), (6, 1)], processors); // BSP flag on the first only
        Assert.Equal("ISA   ", busType);
        Assert.Equal((byte)4, ioApicId);
        Assert.Equal(2, isaIrqToPin[0]);
        Assert.Equal(1, isaIrqToPin[1]);
        Assert.Equal(15, isaIrqToPin[15]);
        Assert.False(isaIrqToPin.ContainsKey(2));
    }
}
