using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class PitTests
{
    private readonly PortBus _bus = new();
    private readonly Pit8254 _pit = new();

    public PitTests() => _pit.AttachTo(_bus);

    [Fact]
    public void TickConversionRoundTrips()
    {
        Assert.Equal(1_193_182, Pit8254.Tick(1_000_000_000));
        Assert.Equal(0, Pit8254.Tick(838));
        Assert.Equal(1, Pit8254.Tick(839)); // one tick is 838.095 ns
        for (long t = 1; t < 5000; t += 7)
        {
            long ns = Pit8254.TimeOfTick(t);
            Assert.Equal(t, Pit8254.Tick(ns));
            Assert.Equal(t - 1, Pit8254.Tick(ns - 1));
        }
    }

    [Fact]
    public void Channel0Mode2InterruptsEveryNTicks()
    {
        const int n = 1193; // ~1 kHz, as Linux programs for HZ=1000
        var risingEdges = new List<long>();
        bool level = false;
        _pit.Irq0Changed += l => { if (l && !level) risingEdges.Add(_pit.Now); level = l; };

        _bus.Out(0x43, 1, 0x34); // channel 0, LSB then MSB, mode 2, binary
        _bus.Out(0x40, 1, n & 0xFF);
        _bus.Out(0x40, 1, n >> 8);
        risingEdges.Clear(); // OUT goes high when the mode is set; count only the periodic edges

        Assert.Equal(Pit8254.TimeOfTick(n), _pit.NextEventTime);
        long end = Pit8254.TimeOfTick(5 * n);
        while (_pit.NextEventTime is { } next && next <= end) _pit.AdvanceTo(next);

        Assert.Equal([1, 2, 3, 4, 5], risingEdges.Select(t => Pit8254.Tick(t) / n));
        Assert.All(risingEdges, t => Assert.Equal(0, Pit8254.Tick(t) % n));
        Assert.Equal(Pit8254.TimeOfTick(6 * n), _pit.NextEventTime);
    }

    [Fact]
    public void Channel0CoarseAdvanceStillDeliversARisingEdge()
    {
        var levels = new List<bool>();
        _bus.Out(0x43, 1, 0x34);
        _bus.Out(0x40, 1, 100);
        _bus.Out(0x40, 1, 0);
        _pit.Irq0Changed += levels.Add;
        _pit.AdvanceTo(Pit8254.TimeOfTick(1050)); // ten periods in one step
        Assert.Equal([false, true], levels);
    }

    [Fact]
    public void CounterCountsDownAndLatchFreezesTheReading()
    {
        _bus.Out(0x43, 1, 0x34);
        _bus.Out(0x40, 1, 0x00);
        _bus.Out(0x40, 1, 0x10); // 0x1000
        _pit.AdvanceTo(Pit8254.TimeOfTick(0x100));
        _bus.Out(0x43, 1, 0x00); // latch channel 0
        _pit.AdvanceTo(Pit8254.TimeOfTick(0x200));
        Assert.Equal(0x00u, _bus.In(0x40, 1));
        Assert.Equal(0x0Fu, _bus.In(0x40, 1)); // latched 0x0F00
        Assert.Equal(0x00u, _bus.In(0x40, 1)); // live again: 0x0E00
        Assert.Equal(0x0Eu, _bus.In(0x40, 1));
    }

    [Fact]
    public void ReadBackReturnsStatusThenCount()
    {
        _bus.Out(0x43, 1, 0xB0); // channel 2, LSB/MSB, mode 0
        _bus.Out(0x61, 1, 0x01);
        _bus.Out(0x42, 1, 0x34);
        _bus.Out(0x42, 1, 0x12);
        _bus.Out(0x43, 1, 0xC8); // read-back: count and status of channel 2
        Assert.Equal(0x30u, _bus.In(0x42, 1)); // OUT low, count loaded, LSB/MSB, mode 0, binary
        Assert.Equal(0x34u, _bus.In(0x42, 1));
        Assert.Equal(0x12u, _bus.In(0x42, 1));
    }

    [Fact]
    public void Channel2GateAndOut2ThroughPort61AsLinuxCalibrates()
    {
        // pit_calibrate_tsc: gate high, speaker off; channel 2 mode 0 with CAL_LATCH (10 ms); poll port 0x61 bit 5.
        const int calLatch = 1_193_182 / 100;
        _bus.Out(0x61, 1, (_bus.In(0x61, 1) & ~0x02u) | 0x01);
        _bus.Out(0x43, 1, 0xB0);
        _bus.Out(0x42, 1, calLatch & 0xFF);
        _bus.Out(0x42, 1, calLatch >> 8);

        long t = 0, polls = 0;
        while ((_bus.In(0x61, 1) & 0x20) == 0)
        {
            t += 1000;
            _pit.AdvanceTo(t);
            polls++;
            Assert.True(polls < 20_000, "OUT2 never went high");
        }
        Assert.InRange(t, Pit8254.TimeOfTick(calLatch), Pit8254.TimeOfTick(calLatch) + 999);
        Assert.Equal(0x01u, _bus.In(0x61, 1) & 0x03);
    }

    [Fact]
    public void Channel2MsbDecrementsAsQuickPitCalibrationExpects()
    {
        _bus.Out(0x61, 1, 0x01);
        _bus.Out(0x43, 1, 0xB0);
        _bus.Out(0x42, 1, 0xFF);
        _bus.Out(0x42, 1, 0xFF);
        for (int i = 0; i < 10; i++)
        {
            _pit.AdvanceTo(Pit8254.TimeOfTick(256 * i + 128));
            _bus.In(0x42, 1); // LSB
            Assert.Equal((uint)(0xFF - i), _bus.In(0x42, 1)); // MSB
        }
    }

    [Fact]
    public void GateLowPausesChannel2InMode0()
    {
        _bus.Out(0x61, 1, 0x01);
        _bus.Out(0x43, 1, 0xB0);
        _bus.Out(0x42, 1, 0x00);
        _bus.Out(0x42, 1, 0x10);
        _pit.AdvanceTo(Pit8254.TimeOfTick(0x100));
        _bus.Out(0x61, 1, 0x00); // gate low
        _pit.AdvanceTo(Pit8254.TimeOfTick(0x800));
        _bus.Out(0x43, 1, 0x80);
        Assert.Equal(0x00u, _bus.In(0x42, 1));
        Assert.Equal(0x0Fu, _bus.In(0x42, 1));
        _bus.Out(0x61, 1, 0x01); // resumes where it stopped
        _pit.AdvanceTo(Pit8254.TimeOfTick(0x900));
        _bus.Out(0x43, 1, 0x80);
        Assert.Equal(0x00u, _bus.In(0x42, 1));
        Assert.Equal(0x0Eu, _bus.In(0x42, 1));
        Assert.False(_pit.Out2);
    }

    [Fact]
    public void Mode3SquareWaveIsHighForHalfThePeriod()
    {
        _bus.Out(0x61, 1, 0x01);
        _bus.Out(0x43, 1, 0xB6); // channel 2, mode 3
        _bus.Out(0x42, 1, 100);
        _bus.Out(0x42, 1, 0);
        _pit.AdvanceTo(Pit8254.TimeOfTick(10));
        Assert.True(_pit.Out2);
        _pit.AdvanceTo(Pit8254.TimeOfTick(60));
        Assert.False(_pit.Out2);
        _pit.AdvanceTo(Pit8254.TimeOfTick(110));
        Assert.True(_pit.Out2);
    }
}
