namespace Smp.Devices.Platform.Apic;

// The APIC timer on simulated time (SDM Vol. 3A §10.5.4): initial count, current count, divide
// configuration; one-shot and periodic modes, one tick = divide × 1 ns (a 1 GHz APIC clock, as QEMU);
// and TSC-deadline mode (§10.5.4.1), where IA32_TSC_DEADLINE names the TSC value to fire at.
public sealed partial class LocalApic
{
    private uint _initialCount, _divideConfig;
    private long _timerStart, _timerDeadline = -1;
    private ulong _tscDeadline;
    private int _timerMode;

    private const int TscDeadlineMode = 2;

    /// <inheritdoc />
    public ulong TscDeadline
    {
        get => TimerMode == TscDeadlineMode ? _tscDeadline : 0;
        set
        {
            if (TimerMode != TscDeadlineMode) return; // ignored outside TSC-deadline mode
            _tscDeadline = value;
            if (value == 0 || Core is not { } core)
            {
                _timerDeadline = -1;
                return;
            }

            // The TSC runs at the core's frequency on the same simulated clock. A target already reached fires
            // before WRMSR completes, so the interrupt is pending at the next instruction boundary (SDM Vol. 3A
            // §10.5.4.1: the timer generates the interrupt when the TSC is at or past the target).
            ulong tsc = core.Tsc;
            long delta = value <= tsc ? 0 : (long)UInt128.Min((UInt128)(value - tsc) * 1_000_000_000UL / (ulong)core.FrequencyHz, (UInt128)(long.MaxValue / 2));
            long now = Clock();
            _timerDeadline = now + delta;
            if (delta == 0) PollTimer(now);
        }
    }

    /// <summary>The simulated time at which the timer next expires, or null when it is not counting.</summary>
    public long? TimerDeadline => _timerDeadline >= 0 ? _timerDeadline : null;

    private int TimerMode => (int)((_lvt[LvtTimer] >> 17) & 3);

    // Divide configuration bits 3, 1:0 (Figure 10-10): 111 = 1, else 2^(value + 1).
    private long Divide
    {
        get
        {
            uint v = (_divideConfig & 3) | ((_divideConfig >> 1) & 4);
            return v == 7 ? 1 : 1L << (int)(v + 1);
        }
    }

    private long Period => _initialCount * Divide;

    /// <summary>The current-count register computed from simulated time.</summary>
    public uint CurrentCount
    {
        get
        {
            if (_initialCount == 0 || _timerDeadline < 0 || TimerMode == TscDeadlineMode) return 0;
            long ticks = (Clock() - _timerStart) / Divide;
            if (ticks < 0) ticks = 0;
            if (TimerMode == 1) return (uint)(_initialCount - (ticks % _initialCount));
            return ticks >= _initialCount ? 0 : (uint)(_initialCount - ticks);
        }
    }

    /// <summary>
    /// Fires the timer if its deadline is at or before <paramref name="now"/>: the LVT timer vector goes to the IRR
    /// (unless masked); a periodic timer re-arms from its deadline, a one-shot timer stops.
    /// </summary>
    /// <param name="now">The current simulated time in nanoseconds.</param>
    /// <returns>True when the timer fired.</returns>
    public bool PollTimer(long now)
    {
        if (_timerDeadline < 0 || now < _timerDeadline) return false;
        uint lvt = _lvt[LvtTimer];
        if ((lvt & LvtMasked) == 0) AcceptInterrupt((int)(lvt & 0xFF), false);
        if (TimerMode == TscDeadlineMode)
        {
            _tscDeadline = 0; // one interrupt per write: the timer disarms itself and clears the MSR
            _timerDeadline = -1;
        }
        else if (TimerMode == 1 && Period > 0)
        {
            // Periodic: reload; expirations missed while the CPU slept coalesce into this one (IRR holds one bit).
            long periods = (now - _timerDeadline) / Period + 1;
            _timerStart = _timerDeadline + (periods - 1) * Period;
            _timerDeadline = _timerStart + Period;
        }
        else
        {
            _timerDeadline = -1;
        }

        return true;
    }

    private void WriteInitialCount(uint value)
    {
        if (TimerMode == TscDeadlineMode) return; // ignored in TSC-deadline mode (SDM Vol. 3A §10.5.4.1)
        _initialCount = value;
        Arm();
    }

    private void WriteDivide(uint value)
    {
        _divideConfig = value & 0xB;
        if (_timerDeadline >= 0) _timerDeadline = _timerStart + Period;
    }

    // Moving between TSC-deadline mode and the count modes disarms the timer (SDM Vol. 3A §10.5.4.1).
    private void TimerModeChanged()
    {
        int mode = TimerMode;
        if (mode == _timerMode) return;
        bool deadlineSwitch = mode == TscDeadlineMode || _timerMode == TscDeadlineMode;
        _timerMode = mode;
        if (deadlineSwitch || mode == 3)
        {
            _timerDeadline = -1;
            _tscDeadline = 0;
        }
    }

    private void Arm()
    {
        if (_initialCount == 0 || TimerMode >= 2)
        {
            _timerDeadline = -1;
            return;
        }

        _timerStart = Clock();
        _timerDeadline = _timerStart + Period;
    }
}
