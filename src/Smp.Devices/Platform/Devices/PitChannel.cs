namespace Smp.Devices.Platform;

/// <summary>
/// One 8254 counter, evaluated lazily from the tick at which counting started (no per-tick work).
/// Counter and OUT shapes follow the 8254 datasheet's mode descriptions.
/// </summary>
internal sealed class PitChannel(bool hasGateInput)
{
    public int Mode;          // 0–5
    public int Access = 3;    // 1 = LSB only, 2 = MSB only, 3 = LSB then MSB
    public bool Bcd;
    public int Count = 0x10000; // reload value; a written 0 means 65536
    public bool Counting;     // a full count has been written since the last control word
    public bool NullCount = true;
    public bool Gate = !hasGateInput; // channels 0 and 1 have GATE tied high on a PC

    private long _loadTick;
    private long _frozenElapsed;
    private bool _writeMsbNext, _readMsbNext;
    private byte _writeLsb;
    private int? _latchedCount;   // remaining bytes of a latched count, low byte first
    private bool _latchedMsbNext;
    private byte? _latchedStatus;

    /// <summary>Ticks counted since the count was loaded (frozen while GATE is low).</summary>
    public long Elapsed(long tick) => !Counting ? 0 : Gate ? tick - _loadTick : _frozenElapsed;

    /// <summary>The tick at which counting started (valid while <see cref="Counting"/> and GATE is high).</summary>
    public long LoadTick => _loadTick;

    public void Program(int access, int mode, bool bcd)
    {
        Access = access;
        Mode = mode > 5 ? mode - 4 : mode; // modes 6 and 7 alias 2 and 3
        Bcd = bcd;
        Counting = false;
        NullCount = true;
        _writeMsbNext = _readMsbNext = false;
        _latchedCount = null;
        _latchedStatus = null;
    }

    public void WriteCount(byte value, long tick)
    {
        int count;
        switch (Access)
        {
            case 1: count = value; break;
            case 2: count = value << 8; break;
            default:
                if (!_writeMsbNext)
                {
                    _writeLsb = value;
                    _writeMsbNext = true;
                    if (Mode == 0) Counting = false; // writing the first byte stops a mode 0 count (8254 datasheet)
                    return;
                }
                _writeMsbNext = false;
                count = _writeLsb | (value << 8);
                break;
        }
        if (Bcd) count = FromBcd(count);
        Count = count == 0 ? (Bcd ? 10000 : 0x10000) : count;
        NullCount = false;
        // In modes 2 and 3 a new count written while counting takes effect at the end of the current period;
        // restarting at once is simpler and only shifts one period, which guests reprogramming the rate tolerate.
        Counting = true;
        _loadTick = tick;
        _frozenElapsed = 0;
    }

    public void SetGate(bool level, long tick)
    {
        if (level == Gate) return;
        if (!level) { _frozenElapsed = Elapsed(tick); Gate = false; return; }
        Gate = true;
        // A rising GATE edge (re)triggers modes 1, 2, 3 and 5; modes 0 and 4 just resume counting.
        _loadTick = Mode is 1 or 2 or 3 or 5 ? tick : tick - _frozenElapsed;
    }

    public int CounterValue(long tick)
    {
        if (!Counting) return Count & 0xFFFF;
        long d = Elapsed(tick);
        int n = Count;
        long value = Mode switch
        {
            2 => n - d % n,
            3 => n - 2 * d % n,
            _ => n - d,
        };
        value &= 0xFFFF;
        return Bcd ? ToBcd((int)(value % 10000)) : (int)value;
    }

    public bool Out(long tick)
    {
        if (!Counting) return Mode != 0;
        if (!Gate && Mode is 2 or 3) return true; // GATE low forces OUT high in modes 2 and 3
        long d = Elapsed(tick);
        int n = Math.Max(Count, 2);
        return Mode switch
        {
            0 or 1 => d >= Count,
            2 => d % n != n - 1,
            3 => d % n < (n + 1) / 2,
            _ => d != Count, // modes 4 and 5: one low tick at terminal count
        };
    }

    /// <summary>Rising OUT edges in the elapsed interval (e0, e1].</summary>
    public long RisingEdges(long e0, long e1)
    {
        if (!Counting || e1 <= e0) return 0;
        int n = Math.Max(Count, 2);
        return Mode switch
        {
            0 or 1 => e0 < Count && Count <= e1 ? 1 : 0,
            2 or 3 => e1 / n - e0 / n,
            _ => e0 < Count + 1L && Count + 1L <= e1 ? 1 : 0,
        };
    }

    /// <summary>
    /// The elapsed tick count, after <paramref name="e"/>, at which OUT may next change level (rise or fall), or null when it
    /// stays as it is until the channel is written (not counting, or GATE low).
    /// </summary>
    public long? NextOutChange(long e)
    {
        if (!Counting || !Gate) return null;
        int n = Math.Max(Count, 2);
        switch (Mode)
        {
            case 0 or 1:
                return e < Count ? Count : null;
            case 2:
            {
                long r = e % n; // low for the one tick at n − 1, high from each multiple of n
                return r < n - 1 ? e + (n - 1 - r) : e + 1;
            }
            case 3:
            {
                long r = e % n, half = (n + 1) / 2; // high for the first half of each period
                return r < half ? e + (half - r) : e + (n - r);
            }
            default:
                return e < Count ? Count : e == Count ? Count + 1L : null;
        }
    }

    /// <summary>The elapsed tick count of the next rising OUT edge after <paramref name="e"/>, or null.</summary>
    public long? NextRisingEdge(long e)
    {
        if (!Counting || !Gate) return null;
        int n = Math.Max(Count, 2);
        return Mode switch
        {
            0 or 1 => e < Count ? Count : null,
            2 or 3 => (e / n + 1) * n,
            _ => e < Count + 1L ? Count + 1L : null,
        };
    }

    public void LatchCount(long tick)
    {
        if (_latchedCount is not null) return; // a second latch before the read is ignored
        _latchedCount = CounterValue(tick);
        _latchedMsbNext = Access == 2;
    }

    public void LatchStatus(long tick)
    {
        if (_latchedStatus is not null) return;
        _latchedStatus = (byte)((Out(tick) ? 0x80 : 0) | (NullCount ? 0x40 : 0) | (Access << 4) | (Mode << 1) | (Bcd ? 1 : 0));
    }

    public byte Read(long tick)
    {
        if (_latchedStatus is { } status) { _latchedStatus = null; return status; }
        if (_latchedCount is { } latched)
        {
            byte b = _latchedMsbNext ? (byte)(latched >> 8) : (byte)latched;
            if (Access == 3 && !_latchedMsbNext) _latchedMsbNext = true;
            else _latchedCount = null;
            return b;
        }
        int value = CounterValue(tick);
        switch (Access)
        {
            case 1: return (byte)value;
            case 2: return (byte)(value >> 8);
            default:
                _readMsbNext = !_readMsbNext;
                return _readMsbNext ? (byte)value : (byte)(value >> 8);
        }
    }

    private static int FromBcd(int v) => (v >> 12 & 0xF) * 1000 + (v >> 8 & 0xF) * 100 + (v >> 4 & 0xF) * 10 + (v & 0xF);

    private static int ToBcd(int v) => (v / 1000 << 12) | (v / 100 % 10 << 8) | (v / 10 % 10 << 4) | (v % 10);
}
