using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class AcpiPmTests
{
    private long _now;
    private readonly PortBus _bus = new();
    private readonly AcpiPm _pm;
    private readonly DeviceLog _log = new();

    public AcpiPmTests()
    {
        _pm = new AcpiPm(() => _now, _log);
        _pm.AttachTo(_bus);
    }

    [Fact]
    public void Pm_timer_counts_3_579545_mhz_of_simulated_time_in_24_bits()
    {
        Assert.Equal(0u, _bus.In(0x608, 4));
        _now = 1_000_000_000;
        Assert.Equal(3_579_545u, _bus.In(0x608, 4));
        _now = 10_000_000_000; // 35 795 450 ticks wrap at 2^24
        Assert.Equal(35_795_450u & 0xFF_FFFF, _bus.In(0x608, 4));
        Assert.Equal((35_795_450u & 0xFF_FFFF) >> 8 & 0xFF, _bus.In(0x609, 1));
    }

    [Fact]
    public void Sci_en_reads_set_and_slp_en_reads_back_zero()
    {
        Assert.Equal(1u, _bus.In(0x604, 2));
        _bus.Out(0x604, 2, 0x0400 | 0x0002); // SLP_TYP 1 (not S5) without SLP_EN, BM_RLD
        Assert.Equal(0x0403u, _bus.In(0x604, 2));
    }

    [Fact]
    public void Writing_slp_en_with_the_soft_off_type_powers_off()
    {
        int offs = 0;
        _pm.PowerOffRequested += () => offs++;
        _bus.Out(0x604, 2, 0x0001);           // SLP_TYP 0 but no SLP_EN: nothing
        Assert.Equal(0, offs);
        _bus.Out(0x604, 2, 0x2000 | (0 << 10)); // SLP_EN, SLP_TYP = 000b (\_S5)
        Assert.Equal(1, offs);
    }

    [Fact]
    public void Other_sleep_types_are_reported_and_do_not_power_off()
    {
        int offs = 0;
        _pm.PowerOffRequested += () => offs++;
        _bus.Out(0x604, 2, 0x2000 | (1 << 10)); // S3 (suspend to RAM) on a PIIX4
        Assert.Equal(0, offs);
        Assert.Contains(_log.Entries, e => e.StartsWith("acpi-pm: sleep type 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Timer_overflow_status_raises_the_sci_when_enabled_and_clears_on_write_one()
    {
        var sci = new List<bool>();
        _pm.SciChanged += sci.Add;
        _bus.Out(0x602, 2, 0x0001); // TMR_EN
        long toggle = Assert.NotNull(_pm.NextEventTime);
        Assert.Equal((long)Math.Ceiling((1 << 23) * 1e9 / 3_579_545), toggle);
        _now = toggle - 1;
        _pm.AdvanceTo(_now);
        Assert.Empty(sci);
        _now = toggle;
        _pm.AdvanceTo(_now);
        Assert.Equal([true], sci);
        Assert.Equal(1u, _bus.In(0x600, 2) & 1);
        _bus.Out(0x600, 2, 0x0001);
        Assert.Equal(0u, _bus.In(0x600, 2) & 1);
        Assert.Equal([true, false], sci);
    }
}
