using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class CmosRtcInterruptTests
{
    private static readonly DateTime Start = new(2024, 3, 15, 13, 45, 30, DateTimeKind.Utc);
    private readonly CmosRtc _rtc = new(128 << 20, 0, 1, Start);
    private readonly PortBus _bus = new();
    private readonly List<bool> _irq = [];

    public CmosRtcInterruptTests()
    {
        _rtc.AttachTo(_bus);
        _rtc.IrqChanged += _irq.Add;
    }

    private byte Read(byte index)
    {
        _bus.Out(0x70, 1, index);
        return (byte)_bus.In(0x71, 1);
    }

    private void Write(byte index, byte value)
    {
        _bus.Out(0x70, 1, index);
        _bus.Out(0x71, 1, value);
    }

    [Fact]
    public void Periodic_interrupt_at_1024_hz_raises_irq8_until_register_c_is_read()
    {
        Write(0x0B, 0x42); // PIE, 24-hour
        Assert.Equal(976_563L, _rtc.NextEventTime); // RS = 6: 32 ticks of the 32.768 kHz time base
        _rtc.AdvanceTo(976_562);
        Assert.Empty(_irq);
        _rtc.AdvanceTo(976_563);
        Assert.Equal([true], _irq);
        Assert.Null(_rtc.NextEventTime); // IRQ8 is already up
        Assert.Equal(0xC0, Read(0x0C) & 0xC0); // IRQF | PF
        Assert.Equal([true, false], _irq);
        Assert.Equal(0, Read(0x0C));
        Assert.Equal(1_953_125L, _rtc.NextEventTime);
    }

    [Fact]
    public void Flags_are_set_without_their_enables_but_do_not_raise_irq8()
    {
        _rtc.AdvanceTo(1_500_000_000);
        Assert.Equal(0x50, Read(0x0C)); // PF (RS = 6 by default) and UF, no IRQF
        Assert.Empty(_irq);
        Assert.Null(_rtc.NextEventTime);
    }

    [Fact]
    public void Update_ended_interrupt_once_a_second()
    {
        Write(0x0B, 0x12); // UIE
        Assert.Equal(1_000_000_000L, _rtc.NextEventTime);
        _rtc.AdvanceTo(1_000_000_000);
        Assert.Equal([true], _irq);
        Assert.Equal(0x90, Read(0x0C) & 0xB0); // IRQF | UF (PF runs at its default rate underneath)
        Assert.Equal(0x31, Read(0x00));        // 13:45:31 in BCD
    }

    [Fact]
    public void Alarm_interrupt_when_the_update_matches_the_alarm_bytes()
    {
        Write(0x01, 0x35); // seconds alarm 35
        Write(0x03, 0xC0); // any minute
        Write(0x05, 0xFF); // any hour
        Write(0x0B, 0x22); // AIE
        Assert.Equal(5_000_000_000L, _rtc.NextEventTime); // 13:45:30 -> :35
        _rtc.AdvanceTo(4_999_999_999);
        Assert.Empty(_irq);
        _rtc.AdvanceTo(5_000_000_000);
        Assert.Equal([true], _irq);
        Assert.Equal(0xA0, Read(0x0C) & 0xA0); // IRQF | AF
    }

    [Fact]
    public void An_alarm_that_can_never_match_schedules_nothing()
    {
        Write(0x05, 0x25); // hour 25
        Write(0x0B, 0x22);
        Assert.Null(_rtc.NextEventTime);
    }

    [Fact]
    public void Set_stops_updates_and_clears_uie()
    {
        Write(0x0B, 0x92); // SET | UIE
        Assert.Equal(0x82, Read(0x0B));
        _rtc.AdvanceTo(3_000_000_000);
        Assert.Equal(0x40, Read(0x0C)); // only PF: no update while SET
    }

    [Fact]
    public void Update_in_progress_shows_in_the_last_244_us_of_each_second()
    {
        _rtc.AdvanceTo(999_700_000);
        Assert.Equal(0, Read(0x0A) & 0x80);
        _rtc.AdvanceTo(999_800_000);
        Assert.Equal(0x80, Read(0x0A) & 0x80);
        _rtc.AdvanceTo(1_000_000_000);
        Assert.Equal(0, Read(0x0A) & 0x80);
    }
}
