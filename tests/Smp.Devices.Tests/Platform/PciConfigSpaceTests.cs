using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class PciConfigSpaceTests
{
    private readonly PortBus _bus = new();
    private readonly PciConfigSpace _pci = new();

    public PciConfigSpaceTests()
    {
        _pci.Add(0, 0, PcChipset.I440fxHostBridge());
        _pci.Add(1, 0, PcChipset.Piix3IsaBridge());
        _pci.AttachTo(_bus);
    }

    private uint Config(int device, int function, int register, int size = 4)
    {
        _bus.Out(0xCF8, 4, 0x8000_0000u | (uint)(device << 11) | (uint)(function << 8) | (uint)(register & 0xFC));
        return _bus.In((ushort)(0xCFC + (register & 3)), size);
    }

    private void SetConfig(int device, int function, int register, uint value, int size = 4)
    {
        _bus.Out(0xCF8, 4, 0x8000_0000u | (uint)(device << 11) | (uint)(function << 8) | (uint)(register & 0xFC));
        _bus.Out((ushort)(0xCFC + (register & 3)), size, value);
    }

    [Fact]
    public void Host_and_isa_bridges_identify_as_qemus_pc_chipset()
    {
        Assert.Equal(0x1237_8086u, Config(0, 0, 0x00));
        Assert.Equal(0x0600_0002u, Config(0, 0, 0x08)); // class 06 00 00, revision 02
        Assert.Equal(0x00u, Config(0, 0, 0x0E, 1));
        Assert.Equal(0x7000_8086u, Config(1, 0, 0x00));
        Assert.Equal(0x0601_0000u, Config(1, 0, 0x08));
        Assert.Equal(0x80u, Config(1, 0, 0x0E, 1)); // multi-function
    }

    [Fact]
    public void Absent_functions_buses_and_a_disabled_address_read_all_ones()
    {
        Assert.Equal(0xFFFF_FFFFu, Config(1, 1, 0x00));
        Assert.Equal(0xFFFF_FFFFu, Config(5, 0, 0x00));
        _bus.Out(0xCF8, 4, 0x8001_0000); // bus 1
        Assert.Equal(0xFFFF_FFFFu, _bus.In(0xCFC, 4));
        _bus.Out(0xCF8, 4, 0x0000_0000); // enable bit clear
        Assert.Equal(0xFFFF_FFFFu, _bus.In(0xCFC, 4));
        Assert.Equal(0xFFFFu, _bus.In(0xCFE, 2));
    }

    [Fact]
    public void Byte_and_word_accesses_reach_the_addressed_bytes()
    {
        Assert.Equal(0x86u, Config(0, 0, 0x00, 1));
        Assert.Equal(0x12u, Config(0, 0, 0x03, 1));
        Assert.Equal(0x1237u, Config(0, 0, 0x02, 2));
        Assert.Equal(0x4Du, Config(1, 0, 0x4C, 1)); // PIIX3 IORT
        SetConfig(1, 0, 0x4D, 0x5A, 1);
        Assert.Equal(0x5A4Du, Config(1, 0, 0x4C, 2));
    }

    [Fact]
    public void Read_only_fields_and_unimplemented_bars_keep_their_values()
    {
        SetConfig(0, 0, 0x00, 0xFFFF_FFFF);
        Assert.Equal(0x1237_8086u, Config(0, 0, 0x00));
        for (int bar = 0x10; bar <= 0x24; bar += 4)
        {
            SetConfig(0, 0, bar, 0xFFFF_FFFF);
            Assert.Equal(0u, Config(0, 0, bar)); // sizing finds no BAR
        }
    }

    [Fact]
    public void Status_error_bits_clear_on_writing_one()
    {
        var f = PcChipset.Piix3IsaBridge();
        f.Set(0x06, 2, 0x3200); // received master abort (bit 13), target abort (12) on top of DEVSEL medium
        f.Write(0x06, 2, 0x2000);
        Assert.Equal(0x1200u, f.Read(0x06, 2));
    }

    [Fact]
    public void Config_address_keeps_only_its_defined_bits_and_needs_a_dword_write()
    {
        _bus.Out(0xCF8, 4, 0xFFFF_FFFF);
        Assert.Equal(0x80FF_FFFCu, _bus.In(0xCF8, 4));
        _bus.Out(0xCF8, 2, 0); // not decoded as CONFIG_ADDRESS
        Assert.Equal(0x80FF_FFFCu, _pci.ConfigAddress);
        Assert.Equal(0xFFFFu, _bus.In(0xCF8, 2));
    }

    [Fact]
    public void Reset_control_register_resets_on_the_rising_edge_of_rcpu()
    {
        var resets = new List<bool>();
        _pci.ResetRequested += resets.Add;
        _bus.Out(0xCF9, 1, 0x02); // SRST only: arms a hard reset
        Assert.Empty(resets);
        Assert.Equal(0x02u, _bus.In(0xCF9, 1));
        _bus.Out(0xCF9, 1, 0x06); // RCPU 0 -> 1
        Assert.Equal([true], resets);
        _bus.Out(0xCF9, 1, 0x06); // no new edge
        _bus.Out(0xCF9, 1, 0x00);
        _bus.Out(0xCF9, 1, 0x04); // soft reset (INIT)
        Assert.Equal([true, false], resets);
    }
}
