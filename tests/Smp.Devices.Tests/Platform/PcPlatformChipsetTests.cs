using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class PcPlatformChipsetTests
{
    private readonly PcPlatform _platform = new(2, 32 << 20, _ => { });

    private void StartPit1ms()
    {
        _platform.Ports.Out(0x43, 1, 0x34);
        _platform.Ports.Out(0x40, 1, 1193 & 0xFF);
        _platform.Ports.Out(0x40, 1, 1193 >> 8);
    }

    [Fact]
    public void Pit_reaches_irq0_until_hpet_legacy_replacement_takes_it_over()
    {
        StartPit1ms();
        _platform.AdvanceTo(2_000_000);
        Assert.Equal(1, _platform.Pic.MasterIrr & 1);

        var other = new PcPlatform(1, 32 << 20, _ => { });
        other.Hpet.Write(Hpet.DefaultBase + 0x10, 4, 2); // LEG_RT_CNF
        other.Ports.Out(0x43, 1, 0x34);
        other.Ports.Out(0x40, 1, 1193 & 0xFF);
        other.Ports.Out(0x40, 1, 1193 >> 8);
        other.AdvanceTo(2_000_000);
        Assert.Equal(0, other.Pic.MasterIrr & 1);
        Assert.Null(other.NextEventTime); // the PIT no longer wakes anyone
    }

    [Fact]
    public void Sci_drives_irq9_on_the_pic_and_the_io_apic()
    {
        _platform.Ports.Out(0x602, 2, 1); // TMR_EN
        long due = Assert.NotNull(_platform.NextEventTime);
        _platform.AdvanceTo(due);
        Assert.True(_platform.IoApic.Asserted(9));
        Assert.Equal(2, _platform.Pic.SlaveIrr & 2);
        _platform.Ports.Out(0x600, 2, 1); // clear TMR_STS
        Assert.False(_platform.IoApic.Asserted(9));
    }

    [Fact]
    public void A20_is_the_or_of_the_keyboard_controller_and_port_92h()
    {
        var changes = new List<bool>();
        _platform.A20Changed += changes.Add;
        Assert.True(_platform.A20); // QEMU's KBC output port starts with A20 on
        _platform.Ports.Out(0x92, 1, 0x02);
        _platform.Ports.Out(0x64, 1, 0xDD); // KBC gate off: port 92h still holds it
        Assert.True(_platform.A20);
        _platform.Ports.Out(0x92, 1, 0x00);
        Assert.False(_platform.A20);
        Assert.Equal([false], changes);
    }

    [Fact]
    public void Pci_bus_zero_holds_the_i440fx_and_piix3()
    {
        _platform.Ports.Out(0xCF8, 4, 0x8000_0000);
        Assert.Equal(0x1237_8086u, _platform.Ports.In(0xCFC, 4));
        _platform.Ports.Out(0xCF8, 4, 0x8000_0800);
        Assert.Equal(0x7000_8086u, _platform.Ports.In(0xCFC, 4));
    }

    [Fact]
    public void Mmio_devices_are_the_io_apic_and_the_hpet()
    {
        Assert.Equal([IoApic.DefaultBase, Hpet.DefaultBase], _platform.MmioDevices.Select(d => d.Base));
    }
}
