namespace Smp.Devices.Platform;

/// <summary>
/// The Intel 8254 programmable interval timer at 0x40–0x43, clocked at 1.193182 MHz of simulated time, with
/// system control port B (0x61): bit 0 drives channel 2's GATE, bit 1 the speaker enable, bit 5 reads OUT2 and
/// bit 4 the DRAM refresh toggle. Channel 0's OUT is IRQ0. Linux's PIT calibration (channel 2 in mode 0,
/// polling port 0x61 bit 5 or the counter's MSB) works against this model.
/// </summary>
public sealed class Pit8254 : IPortDevice
{
    /// <summary>The input clock in Hz (the PC's 14.31818 MHz crystal divided by 12).</summary>
    public const long FrequencyHz = 1_193_182;

    /// <summary>The first counter port; the control word port is <see cref="FirstPort"/> + 3.</summary>
    public const ushort FirstPort = 0x40;

    /// <summary>System control port B.</summary>
    public const ushort PortB = 0x61;

    private const ushort ControlPort = 0x43;
    private const byte PortBGate2 = 0x01, PortBSpeaker = 0x02, PortBChecks = 0x0C, PortBRefresh = 0x10, PortBOut2 = 0x20;
    private const long RefreshPeriodNs = 15_085; // one DRAM refresh request roughly every 15 µs on AT boards

    private readonly PitChannel[] _channels = [new(false), new(false), new(true)];
    private readonly DeviceLog? _log;
    private long _now;
    private long _quietUntil; // simulated time of OUT0's next possible change (AdvanceTo has nothing to report before it)
    private byte _portB;
    private bool _reportedOut0;

    /// <summary>Creates the timer with every channel waiting for a control word.</summary>
    public Pit8254(DeviceLog? log = null) => _log = log;

    /// <summary>The current simulated time in nanoseconds.</summary>
    public long Now => _now;

    /// <summary>Channel 2's OUT (read through port 0x61 bit 5).</summary>
    public bool Out2 => _channels[2].Out(Tick(_now));

    /// <summary>The level last reported through <see cref="Irq0Changed"/>.</summary>
    public bool Irq0Level => _reportedOut0;

    /// <summary>
    /// Raised when channel 0's OUT (IRQ0) changes. Every rising edge between two <see cref="AdvanceTo"/> calls is
    /// delivered as a rising edge (coalesced, as the PIC's IRR would coalesce them), so edge-triggered inputs see it.
    /// </summary>
    public event Action<bool>? Irq0Changed;

    /// <summary>Claims 0x40–0x43 and 0x61 on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus)
    {
        bus.Register(FirstPort, 4, this);
        bus.Register(PortB, 1, this);
    }

    /// <summary>The tick count of the 1.193182 MHz clock at simulated time <paramref name="ns"/>.</summary>
    public static long Tick(long ns)
    {
        // Exact floor(ns × F / 1e9) without 128-bit division (port 0x61 polling calls this per IN):
        // split ns into whole seconds and the remainder, whose product with F fits in 64 bits.
        long seconds = ns / 1_000_000_000, rest = ns % 1_000_000_000;
        return (seconds * FrequencyHz) + (rest * FrequencyHz / 1_000_000_000);
    }

    /// <summary>The earliest simulated time (ns) at which the clock has reached <paramref name="tick"/>.</summary>
    public static long TimeOfTick(long tick) => (long)(((Int128)tick * 1_000_000_000 + FrequencyHz - 1) / FrequencyHz);

    /// <summary>The simulated time of channel 0's next rising OUT edge (IRQ0), or null if none is coming.</summary>
    public long? NextEventTime
    {
        get
        {
            PitChannel c0 = _channels[0];
            long? next = c0.NextRisingEdge(c0.Elapsed(Tick(_now)));
            return next is { } e ? Math.Max(TimeOfTick(c0.LoadTick + e), _now) : null;
        }
    }

    /// <summary>Moves simulated time to <paramref name="ns"/> (never backwards), reporting IRQ0 edges that occurred.</summary>
    public void AdvanceTo(long ns)
    {
        if (ns <= _now) return;
        // The platform advances the PIT at every port access (a guest polling port 0x61 does millions): before OUT0's
        // next change there is no edge to report and only the clock moves.
        if (ns < _quietUntil)
        {
            _now = ns;
            return;
        }

        PitChannel c0 = _channels[0];
        long t0 = Tick(_now), t1 = Tick(ns);
        long edges = c0.RisingEdges(c0.Elapsed(t0), c0.Elapsed(t1));
        _now = ns;
        bool out0 = c0.Out(t1);
        if (edges > 0)
        {
            if (_reportedOut0) Report(false);
            Report(true);
            if (!out0) Report(false);
        }
        else if (out0 != _reportedOut0) Report(out0);
        _quietUntil = c0.NextOutChange(c0.Elapsed(t1)) is { } next ? TimeOfTick(c0.LoadTick + next) : long.MaxValue;
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        long tick = Tick(_now);
        if (port == PortB)
        {
            bool refresh = _now / RefreshPeriodNs % 2 == 1;
            return (uint)((_portB & (PortBGate2 | PortBSpeaker | PortBChecks)) | (refresh ? PortBRefresh : 0) | (_channels[2].Out(tick) ? PortBOut2 : 0));
        }
        if (port == ControlPort) return 0xFF; // the control word register is write-only
        return _channels[port - FirstPort].Read(tick);
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        _quietUntil = 0; // any write may reprogram channel 0: the next advance computes its next change again
        long tick = Tick(_now);
        byte v = (byte)value;
        if (port == PortB)
        {
            if ((v & PortBSpeaker) != 0 && (_portB & PortBSpeaker) == 0) _log?.Unmodelled(Name, "PC speaker enabled (no sound output)");
            _portB = v;
            _channels[2].SetGate((v & PortBGate2) != 0, tick);
            return;
        }
        if (port != ControlPort)
        {
            _channels[port - FirstPort].WriteCount(v, tick);
            SyncOut0();
            return;
        }
        int select = v >> 6;
        if (select == 3) { ReadBack(v, tick); return; }
        PitChannel channel = _channels[select];
        int access = (v >> 4) & 3;
        if (access == 0) { channel.LatchCount(tick); return; }
        channel.Program(access, (v >> 1) & 7, (v & 1) != 0);
        if (channel.Mode is 1 or 5)
            _log?.Unmodelled(Name, $"channel {select} mode {channel.Mode}: counting starts when the count is written, without waiting for a GATE trigger");
        SyncOut0();
    }

    private const string Name = "pit8254";

    private void ReadBack(byte v, long tick)
    {
        // Read-back command (8254 only): bit 5 clear latches counts, bit 4 clear latches status, bits 3:1 pick channels.
        for (int i = 0; i < 3; i++)
        {
            if ((v & (2 << i)) == 0) continue;
            if ((v & 0x10) == 0) _channels[i].LatchStatus(tick);
            if ((v & 0x20) == 0) _channels[i].LatchCount(tick);
        }
    }

    private void SyncOut0()
    {
        bool out0 = _channels[0].Out(Tick(_now));
        if (out0 != _reportedOut0) Report(out0);
    }

    private void Report(bool level)
    {
        _reportedOut0 = level;
        Irq0Changed?.Invoke(level);
    }
}
