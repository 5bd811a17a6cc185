using System.Buffers.Binary;
using System.Text;
using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class FwCfgTests
{
    private readonly PortBus _bus = new();
    private readonly FwCfg _fwCfg = new(cpuCount: 4, maxCpus: 8, ramBytes: 128UL << 20);

    public FwCfgTests() => _fwCfg.AttachTo(_bus);

    private byte[] ReadItem(ushort key, int length)
    {
        _bus.Out(0x510, 2, key);
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)_bus.In(0x511, 1);
        return data;
    }

    [Fact]
    public void SignatureAndIdentity()
    {
        Assert.Equal("QEMU", Encoding.ASCII.GetString(ReadItem(0x0000, 4)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(ReadItem(0x0001, 4))); // traditional interface, no DMA
    }

    [Fact]
    public void CpuCountsAndRamSize()
    {
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(ReadItem(0x0005, 2)));
        Assert.Equal(8, BinaryPrimitives.ReadUInt16LittleEndian(ReadItem(0x000F, 2)));
        Assert.Equal(128UL << 20, BinaryPrimitives.ReadUInt64LittleEndian(ReadItem(0x0003, 8)));
    }

    [Fact]
    public void Key_0x11_reads_zero_as_kvm_unit_tests_require()
    {
        // kvm-unit-tests reads key 0x11 as FW_CFG_MAX_RAM (a bare-metal override) and needs 0 under a hypervisor.
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(ReadItem(0x0011, 8)));
    }

    [Fact]
    public void OffsetAdvancesAndSelectorWriteResetsIt()
    {
        _bus.Out(0x510, 2, 0);
        Assert.Equal((uint)'Q', _bus.In(0x511, 1));
        Assert.Equal((uint)'E', _bus.In(0x511, 1));
        Assert.Equal(0x554Du, _bus.In(0x511, 2)); // "MU", little-endian
        Assert.Equal(0u, _bus.In(0x511, 1)); // past the end
        _bus.Out(0x510, 2, 0);
        Assert.Equal((uint)'Q', _bus.In(0x511, 1));
        Assert.Equal(new byte[4], ReadItem(0x1234, 4)); // unknown key reads zeros
    }

    [Fact]
    public void FileDirectoryIsBigEndian()
    {
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(ReadItem(0x0019, 4)));
        ushort key = _fwCfg.AddFile("etc/test", [1, 2, 3]);
        byte[] dir = ReadItem(0x0019, 4 + 64);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(dir));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(dir.AsSpan(4)));
        Assert.Equal(key, BinaryPrimitives.ReadUInt16BigEndian(dir.AsSpan(8)));
        Assert.Equal(0x20, key);
        Assert.Equal("etc/test", Encoding.ASCII.GetString(dir, 12, 8));
        Assert.Equal(0, dir[20]);
        Assert.Equal(new byte[] { 1, 2, 3 }, ReadItem(key, 3));
    }
}
