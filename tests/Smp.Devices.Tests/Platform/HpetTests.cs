using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class HpetTests
{
    private const ulong Base = Hpet.DefaultBase;
    private long _now;
    private readonly Hpet _hpet;
    private readonly List<(int Timer, bool Level)> _outputs = [];

    public HpetTests()
    {
        _hpet = new Hpet(() => _now);
        _hpet.OutputChanged += (t, l) => _outputs.Add((t, l));
    }

    private ulong Read(int offset, int size = 8) => _hpet.Read(Base + (ulong)offset, size);

    private void Write(int offset, ulong value, int size = 8) => _hpet.Write(Base + (ulong)offset, size, value);

    private void At(long ns)
    {
        _now = ns;
        _hpet.AdvanceTo(ns);
    }

    [Fact]
    public void Capabilities_match_the_acpi_table_and_qemus_hpet()
    {
        // Vendor 8086, LEG_RT_CAP, COUNT_SIZE_CAP, 3 timers, revision 1; period 10 ns in femtoseconds.
        Assert.Equal(0x0098_9680_8086_A201UL, Read(0x000));
        Assert.Equal(0x8086_A201UL, Read(0x000, 4));
        Assert.Equal(0x0098_9680UL, Read(0x004, 4));
        for (int n = 0; n < 3; n++)
            Assert.Equal(0x00F0_0000_0000_0030UL, Read(0x100 + 0x20 * n)); // route cap 20–23, periodic- and 64-bit-capable
    }

    [Fact]
    public void Main_counter_runs_at_100_mhz_of_simulated_time_only_while_enabled()
    {
        At(1_000);
        Assert.Equal(0UL, Read(0x0F0));
        Write(0x010, 1); // ENABLE_CNF
        At(1_000_000);
        Assert.Equal(99_900UL, Read(0x0F0));
        Write(0x010, 0);
        At(5_000_000);
        Assert.Equal(99_900UL, Read(0x0F0)); // halted
        Write(0x0F0, 0x1_0000_0000UL);      // software sets a halted counter
        Write(0x010, 1);
        At(5_000_100);
        Assert.Equal(0x1_0000_000AUL, Read(0x0F0));
        Assert.Equal(0x1UL, Read(0x0F4, 4));
    }

    [Fact]
    public void Legacy_replacement_routes_timer_0_to_irq0_and_timer_1_to_irq8()
    {
        Assert.Equal((-1, 0), _hpet.Route(0));
        var changes = new List<bool>();
        _hpet.LegacyReplacementChanged += changes.Add;
        Write(0x010, 3);
        Assert.True(_hpet.LegacyReplacement);
        Assert.Equal((0, -1), _hpet.Route(0));
        Assert.Equal((8, -1), _hpet.Route(1));
        Assert.Equal((-1, 0), _hpet.Route(2));
        Assert.Equal([true], changes);
    }

    [Fact]
    public void One_shot_edge_comparator_pulses_once_when_the_counter_passes_it()
    {
        Write(0x100, 1 << 2);          // timer 0: edge, interrupt enabled, one-shot, 64-bit
        Write(0x108, 1_000);           // match at 10 µs
        Write(0x010, 1);
        Assert.Equal(10_000L, _hpet.NextEventTime);
        At(9_990);
        Assert.Empty(_outputs);
        At(10_000);
        Assert.Equal([(0, true), (0, false)], _outputs);
        Assert.Null(_hpet.NextEventTime); // a 64-bit one-shot matches again only after the counter wraps
        At(50_000);
        Assert.Equal(2, _outputs.Count);
        Assert.Equal(0UL, Read(0x020)); // no status in edge mode
    }

    [Fact]
    public void Periodic_comparator_takes_the_accumulator_with_val_set_then_the_increment()
    {
        // As Linux's hpet_clkevt_set_state_periodic: TYPE | VAL_SET | 32-bit mode, first write = first match,
        // second write = period.
        Write(0x100, (1 << 2) | (1 << 3) | (1 << 6) | (1 << 8), 4);
        Write(0x108, 500, 4);
        Write(0x108, 1_000, 4);
        Assert.Equal(0UL, Read(0x100, 4) & (1 << 6)); // VAL_SET clears itself
        Write(0x010, 1);
        At(5_000);   // counter 500
        At(15_000);  // 1500
        At(25_000);  // 2500
        Assert.Equal(3, _outputs.Count(o => o.Level));
        Assert.Equal(3_500UL, Read(0x108, 4));
        At(1_000_000); // 97 periods missed at once: one pulse, comparator past the counter
        Assert.Equal(4, _outputs.Count(o => o.Level));
        Assert.Equal(100_500UL, Read(0x108));
    }

    [Fact]
    public void Level_comparator_sets_its_status_and_holds_the_line_until_cleared()
    {
        Write(0x120, (1 << 1) | (1 << 2) | (20 << 9)); // timer 1: level, enabled, I/O APIC input 20
        Write(0x128, 100);
        Write(0x010, 1);
        At(1_000);
        Assert.Equal(2UL, Read(0x020));
        Assert.Equal([(1, true)], _outputs);
        Assert.Equal((-1, 20), _hpet.Route(1));
        Assert.Null(_hpet.NextEventTime); // the line is held: nothing more can change it
        Write(0x020, 2);                  // write 1 to clear
        Assert.Equal(0UL, Read(0x020));
        Assert.Equal([(1, true), (1, false)], _outputs);
    }

    [Fact]
    public void Disabled_interrupt_still_sets_the_level_status_bit()
    {
        Write(0x140, 1 << 1); // timer 2: level, interrupt disabled
        Write(0x148, 10);
        Write(0x010, 1);
        At(200);
        Assert.Equal(4UL, Read(0x020));
        Assert.Empty(_outputs);
    }

    [Fact]
    public void Thirty_two_bit_one_shot_matches_the_low_half_after_the_counter_wraps_it()
    {
        Write(0x100, (1 << 2) | (1 << 8));
        Write(0x108, 0x1_0000_0005UL); // 32-bit mode keeps only the low half
        Assert.Equal(5UL, Read(0x108));
        Write(0x0F0, 0xFFFF_FFF0UL);
        Write(0x010, 1);
        At(200); // counter 0x1_0000_0004
        Assert.Empty(_outputs);
        At(210);
        Assert.Equal([(0, true), (0, false)], _outputs);
    }

    [Fact]
    public void Next_event_time_is_when_the_counter_reaches_the_comparator()
    {
        Write(0x100, 1 << 2);
        Write(0x108, 12_345);
        Assert.Null(_hpet.NextEventTime); // halted
        At(1_000);
        Write(0x010, 1);
        Assert.Equal(1_000 + 123_450L, _hpet.NextEventTime);
    }
}
