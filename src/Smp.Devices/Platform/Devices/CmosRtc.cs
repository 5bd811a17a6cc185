namespace Smp.Devices.Platform;

/// <summary>
/// The MC146818-compatible CMOS RTC at ports 0x70 (index) / 0x71 (data). Bit 7 of the index write masks NMI
/// on PC boards (<see cref="NmiMasked"/>). The clock reads the configurable start date plus simulated time
/// (passed in with <see cref="AdvanceTo"/>); no wall-clock time is used. The memory size bytes, CPU count and
/// checksum are filled as QEMU's pc_cmos_init fills them for SeaBIOS.
/// </summary>
/// <remarks>
/// Interrupts (MC146818A datasheet, "Interrupts" and registers A–C): the periodic flag PF at the rate register A's
/// RS3–RS0 select from the 32.768 kHz time base (none, 256 Hz, 128 Hz, then 2^(16 − RS) Hz); the update-ended flag
/// UF at the end of each once-a-second update cycle; the alarm flag AF at an update whose hours, minutes and seconds
/// match the alarm bytes (a byte with its two top bits set matches anything). IRQF and the IRQ8 output
/// (<see cref="IrqChanged"/>) are set while a flag and its enable (PIE, UIE, AIE in register B) are both set;
/// reading register C returns the flags and clears them. Setting SET stops updates and clears UIE. Flags are
/// computed lazily from simulated time; <see cref="NextEventTime"/> says when IRQ8 will rise next.
/// </remarks>
public sealed class CmosRtc : IPortDevice
{
    /// <summary>The index port.</summary>
    public const ushort IndexPort = 0x70;

    /// <summary>The data port.</summary>
    public const ushort DataPort = 0x71;

    /// <summary>CMOS offsets with a defined meaning (MC146818 datasheet; IBM AT BIOS; QEMU's pc.c).</summary>
    public enum Offset : byte
    {
        /// <summary>Seconds.</summary>
        Seconds = 0x00,
        /// <summary>Seconds alarm.</summary>
        SecondsAlarm = 0x01,
        /// <summary>Minutes.</summary>
        Minutes = 0x02,
        /// <summary>Minutes alarm.</summary>
        MinutesAlarm = 0x03,
        /// <summary>Hours (bit 7 = PM in 12-hour mode).</summary>
        Hours = 0x04,
        /// <summary>Hours alarm.</summary>
        HoursAlarm = 0x05,
        /// <summary>Day of week, 1 = Sunday.</summary>
        DayOfWeek = 0x06,
        /// <summary>Day of month.</summary>
        DayOfMonth = 0x07,
        /// <summary>Month.</summary>
        Month = 0x08,
        /// <summary>Year within the century.</summary>
        Year = 0x09,
        /// <summary>Status register A (UIP, divider, rate select).</summary>
        StatusA = 0x0A,
        /// <summary>Status register B (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE).</summary>
        StatusB = 0x0B,
        /// <summary>Status register C (interrupt flags, read-only).</summary>
        StatusC = 0x0C,
        /// <summary>Status register D (VRT, read-only).</summary>
        StatusD = 0x0D,
        /// <summary>Shutdown status byte; 0x0A asks the BIOS for a warm reset through the vector at 0x467 (fact A2).</summary>
        ShutdownStatus = 0x0F,
        /// <summary>Base memory in KiB, low byte.</summary>
        BaseMemoryLow = 0x15,
        /// <summary>Base memory in KiB, high byte.</summary>
        BaseMemoryHigh = 0x16,
        /// <summary>Extended memory above 1 MiB in KiB (capped at 65535), low byte.</summary>
        ExtendedMemoryLow = 0x17,
        /// <summary>Extended memory, high byte.</summary>
        ExtendedMemoryHigh = 0x18,
        /// <summary>Checksum of 0x10–0x2D, high byte.</summary>
        ChecksumHigh = 0x2E,
        /// <summary>Checksum, low byte.</summary>
        ChecksumLow = 0x2F,
        /// <summary>Copy of the extended memory size, low byte.</summary>
        ExtendedMemoryCopyLow = 0x30,
        /// <summary>Copy of the extended memory size, high byte.</summary>
        ExtendedMemoryCopyHigh = 0x31,
        /// <summary>Century (BCD), where QEMU and Linux put it.</summary>
        Century = 0x32,
        /// <summary>Memory between 16 MiB and the PCI hole in 64 KiB units, low byte.</summary>
        Memory16MLow = 0x34,
        /// <summary>Memory above 16 MiB, high byte.</summary>
        Memory16MHigh = 0x35,
        /// <summary>Memory above 4 GiB in 64 KiB units, bits 7:0 (QEMU/SeaBIOS).</summary>
        MemoryAbove4G0 = 0x5B,
        /// <summary>Memory above 4 GiB, bits 15:8.</summary>
        MemoryAbove4G1 = 0x5C,
        /// <summary>Memory above 4 GiB, bits 23:16.</summary>
        MemoryAbove4G2 = 0x5D,
        /// <summary>Number of CPUs minus one (QEMU/SeaBIOS).</summary>
        CpuCountMinusOne = 0x5F,
    }

    private const byte AUip = 0x80, ADefault = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    private const byte BSet = 0x80, BPie = 0x40, BAie = 0x20, BUie = 0x10, BSqwe = 0x08, BBinary = 0x04, B24Hour = 0x02, BDse = 0x01;
    private const byte DVrt = 0x80;
    private const byte CIrqf = 0x80, CPf = 0x40, CAf = 0x20, CUf = 0x10;
    private const long TimeBaseHz = 32_768;
    private const long NsPerSecond = 1_000_000_000;
    private const long UipWindowNs = 244_000; // UIP rises 244 µs before each update (MC146818 datasheet)

    private readonly byte[] _cmos = new byte[128];
    private readonly DeviceLog? _log;
    private byte _index;
    private long _now;
    private DateTime _base;     // the clock reading at simulated time _baseNs
    private long _baseNs;
    private DateTime? _frozen;  // the clock while register B's SET bit holds it
    private long _flagsAt;      // simulated time up to which register C's flags are computed
    private byte _flags;        // PF, AF, UF
    private long _quietUntil;   // no flag can come due before this time (0: unknown); forgotten on every register write
    private bool _irq;

    /// <summary>Creates the RTC with CMOS memory describing <paramref name="ramBelow4G"/> + <paramref name="ramAbove4G"/> bytes of RAM.</summary>
    /// <param name="ramBelow4G">RAM below the PCI hole, in bytes.</param>
    /// <param name="ramAbove4G">RAM remapped above 4 GiB, in bytes.</param>
    /// <param name="cpuCount">The number of CPUs (stored at 0x5F as count − 1).</param>
    /// <param name="start">The date and time the clock shows at simulated time 0.</param>
    /// <param name="log">Where unmodelled features are reported.</param>
    public CmosRtc(ulong ramBelow4G, ulong ramAbove4G, int cpuCount, DateTime start, DeviceLog? log = null)
    {
        _log = log;
        _base = start;
        _cmos[(int)Offset.StatusA] = ADefault;
        _cmos[(int)Offset.StatusB] = B24Hour;
        _cmos[(int)Offset.StatusD] = DVrt;
        FillMemorySize(ramBelow4G, ramAbove4G);
        _cmos[(int)Offset.CpuCountMinusOne] = (byte)Math.Clamp(cpuCount - 1, 0, 255);
        UpdateChecksum();
    }

    /// <summary>True when the last index write had bit 7 set, which masks NMI on PC boards.</summary>
    public bool NmiMasked { get; private set; }

    /// <summary>The shutdown status byte (CMOS 0x0F).</summary>
    public byte ShutdownStatus => _cmos[(int)Offset.ShutdownStatus];

    /// <summary>The current simulated time in nanoseconds.</summary>
    public long Now => _now;

    /// <summary>The date and time the clock shows now.</summary>
    public DateTime CurrentTime => _frozen ?? _base.AddTicks((_now - _baseNs) / 100);

    /// <summary>Raised when the NMI mask bit changes, with the new masked state.</summary>
    public event Action<bool>? NmiMaskChanged;

    /// <summary>Raised after an access that may move <see cref="NextEventTime"/> (a register write, a register C read).</summary>
    public event Action? ScheduleChanged;

    /// <summary>Raised when the IRQ8 output changes (IRQF), with the new level.</summary>
    public event Action<bool>? IrqChanged;

    /// <summary>The IRQ8 output (register C's IRQF).</summary>
    public bool Irq => _irq;

    /// <summary>The simulated time at which IRQ8 will next rise, or null when no enabled interrupt is coming (or it is already raised).</summary>
    public long? NextEventTime
    {
        get
        {
            byte b = _cmos[(int)Offset.StatusB];
            if (_irq || (b & (BPie | BAie | BUie)) == 0) return null;
            long? next = null;
            if ((b & BPie) != 0 && PeriodicTicks() is { } period)
                next = TimeOfTimeBaseTick((TimeBaseTick(_flagsAt) / period + 1) * period);
            if (_frozen is null && (b & (BUie | BAie)) != 0)
            {
                long update = NextUpdate(_flagsAt);
                if ((b & BUie) != 0) next = Min(next, update);
                else if (NextAlarm(update) is { } alarm) next = Min(next, alarm);
            }

            return next;
        }
    }

    /// <summary>Claims ports 0x70 and 0x71 on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(IndexPort, 2, this);

    /// <summary>Moves the clock to simulated time <paramref name="ns"/> (never backwards), raising IRQ8 for flags that came due.</summary>
    public void AdvanceTo(long ns)
    {
        _now = Math.Max(_now, ns);
        SyncFlags();
    }

    /// <summary>The raw CMOS byte at <paramref name="offset"/> (0–127), without side effects (clock bytes are not synthesised).</summary>
    public byte Peek(int offset) => _cmos[offset & 0x7F];

    /// <summary>Stores a raw CMOS byte (for firmware set-up); does not update the checksum.</summary>
    public void Poke(int offset, byte value) => _cmos[offset & 0x7F] = value;

    /// <summary>Recomputes the checksum bytes 0x2E (high) / 0x2F (low) as the 16-bit sum of bytes 0x10–0x2D, as the AT BIOS does.</summary>
    public void UpdateChecksum()
    {
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) sum += _cmos[i];
        _cmos[(int)Offset.ChecksumHigh] = (byte)(sum >> 8);
        _cmos[(int)Offset.ChecksumLow] = (byte)sum;
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        if (port == IndexPort) return 0xFF; // the index register is write-only on real boards
        return ReadRegister(_index);
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        _quietUntil = 0; // a write may change the rate, the clock, SET or the alarm
        if (port == IndexPort)
        {
            bool masked = (value & 0x80) != 0;
            _index = (byte)(value & 0x7F);
            if (masked != NmiMasked) { NmiMasked = masked; NmiMaskChanged?.Invoke(masked); }
            return;
        }
        WriteRegister(_index, (byte)value);
        if (_index is (byte)Offset.StatusA or (byte)Offset.StatusB or <= (byte)Offset.Year) ScheduleChanged?.Invoke();
    }

    private void FillMemorySize(ulong below4G, ulong above4G)
    {
        // QEMU pc_cmos_init: 640 KiB base; KiB above 1 MiB capped at 0xFFFF (twice); 64 KiB units above 16 MiB; 64 KiB units above 4 GiB.
        SetWord(Offset.BaseMemoryLow, 640);
        ulong extendedKiB = below4G > 0x100000 ? Math.Min((below4G - 0x100000) / 1024, 0xFFFF) : 0;
        SetWord(Offset.ExtendedMemoryLow, (ushort)extendedKiB);
        SetWord(Offset.ExtendedMemoryCopyLow, (ushort)extendedKiB);
        ulong above16M = below4G > 0x1000000 ? Math.Min((below4G - 0x1000000) / 0x10000, 0xFFFF) : 0;
        SetWord(Offset.Memory16MLow, (ushort)above16M);
        ulong high = above4G / 0x10000;
        _cmos[(int)Offset.MemoryAbove4G0] = (byte)high;
        _cmos[(int)Offset.MemoryAbove4G1] = (byte)(high >> 8);
        _cmos[(int)Offset.MemoryAbove4G2] = (byte)(high >> 16);
    }

    private void SetWord(Offset low, ushort value)
    {
        _cmos[(int)low] = (byte)value;
        _cmos[(int)low + 1] = (byte)(value >> 8);
    }

    private byte ReadRegister(byte index)
    {
        byte b = _cmos[(int)Offset.StatusB];
        DateTime t = CurrentTime;
        switch ((Offset)index)
        {
            case Offset.Seconds: return Encode(t.Second, b);
            case Offset.Minutes: return Encode(t.Minute, b);
            case Offset.Hours: return HourByte(t.Hour, b);
            case Offset.DayOfWeek: return Encode((int)t.DayOfWeek + 1, b);
            case Offset.DayOfMonth: return Encode(t.Day, b);
            case Offset.Month: return Encode(t.Month, b);
            case Offset.Year: return Encode(t.Year % 100, b);
            case Offset.Century: return Encode(t.Year / 100, b);
            case Offset.StatusA:
            {
                // UIP is set in the last 244 µs before each once-a-second update, unless SET stops updates.
                bool uip = _frozen is null && NextUpdate(_now) - _now <= UipWindowNs;
                return (byte)((_cmos[index] & 0x7F) | (uip ? AUip : 0));
            }
            case Offset.StatusC:
            {
                SyncFlags();
                byte c = (byte)(_flags | (_irq ? CIrqf : 0));
                _flags = 0; // reading C clears every flag and IRQF
                UpdateIrq();
                if (c != 0) ScheduleChanged?.Invoke();
                return c;
            }
            case Offset.StatusD:
                return DVrt;
            default:
                return _cmos[index];
        }
    }

    private void WriteRegister(byte index, byte value)
    {
        byte b = _cmos[(int)Offset.StatusB];
        switch ((Offset)index)
        {
            case Offset.Seconds: SetClock(t => t.AddSeconds(Decode(value, b) - t.Second)); break;
            case Offset.Minutes: SetClock(t => t.AddMinutes(Decode(value, b) - t.Minute)); break;
            case Offset.Hours:
            {
                int h = Decode((byte)(value & 0x7F), b);
                if ((b & B24Hour) == 0) h = h % 12 + ((value & 0x80) != 0 ? 12 : 0);
                SetClock(t => t.AddHours(h - t.Hour));
                break;
            }
            case Offset.DayOfWeek: _log?.Unmodelled(Name, "write to day of week (derived from the date)"); break;
            case Offset.DayOfMonth: SetClock(t => SafeDate(t, t.Year, t.Month, Decode(value, b))); break;
            case Offset.Month: SetClock(t => SafeDate(t, t.Year, Decode(value, b), t.Day)); break;
            case Offset.Year: SetClock(t => SafeDate(t, t.Year / 100 * 100 + Decode(value, b), t.Month, t.Day)); break;
            case Offset.Century: SetClock(t => SafeDate(t, Decode(value, b) * 100 + t.Year % 100, t.Month, t.Day)); break;
            case Offset.StatusA:
                SyncFlags();
                if ((value & 0x70) != 0x20) _log?.Unmodelled(Name, $"register A divider 0x{value & 0x70:X2} (the clock always runs)");
                _cmos[index] = (byte)(value & 0x7F); // UIP is read-only
                break;
            case Offset.StatusB:
                SyncFlags();
                if ((value & BSqwe) != 0) _log?.Unmodelled(Name, "square-wave output");
                if ((value & BDse) != 0) _log?.Unmodelled(Name, "daylight saving enable");
                if ((value & BSet) != 0) value &= unchecked((byte)~BUie); // SET clears UIE (datasheet, register B)
                if ((value & BSet) != 0 && _frozen is null) _frozen = CurrentTime;
                else if ((value & BSet) == 0 && _frozen is { } held) { _base = held; _baseNs = _now; _frozen = null; }
                _cmos[index] = value;
                UpdateIrq();
                break;
            case Offset.SecondsAlarm or Offset.MinutesAlarm or Offset.HoursAlarm:
                SyncFlags();
                _cmos[index] = value;
                break;
            case Offset.StatusC:
            case Offset.StatusD:
                _log?.Unmodelled(Name, $"write to read-only register 0x{index:X2}");
                break;
            default:
                _cmos[index] = value;
                break;
        }
    }

    private const string Name = "cmos-rtc";

    private void SetClock(Func<DateTime, DateTime> change)
    {
        SyncFlags();
        DateTime updated = change(CurrentTime);
        if (_frozen is not null) { _frozen = updated; return; }
        _base = updated;
        _baseNs = _now;
    }

    // Flags are brought up to _now: a periodic tick, an update cycle or a matching alarm since _flagsAt sets its flag.
    private void SyncFlags()
    {
        long from = _flagsAt, to = _now;
        if (to <= from) return;
        _flagsAt = to;
        // Port polling syncs at every access: between the due times nothing changes (and IRQ8 only follows the flags
        // and register B, whose every change updates it), so skip the arithmetic until the next one.
        if (to < _quietUntil) return;
        if (PeriodicTicks() is { } period && TimeBaseTick(to) / period > TimeBaseTick(from) / period) _flags |= CPf;
        if (_frozen is null)
        {
            long update = NextUpdate(from);
            if (update <= to)
            {
                _flags |= CUf;
                if (NextAlarm(update) is { } alarm && alarm <= to) _flags |= CAf;
            }
        }

        UpdateIrq();
        _quietUntil = QuietUntil(to);
    }

    // The first time after `at` at which SyncFlags (from `at`) could set a flag: the next periodic tick or update cycle.
    private long QuietUntil(long at)
    {
        long quiet = long.MaxValue;
        if (PeriodicTicks() is { } period) quiet = TimeOfTimeBaseTick((TimeBaseTick(at) / period + 1) * period);
        if (_frozen is null) quiet = Math.Min(quiet, NextUpdate(at));
        return quiet;
    }

    private void UpdateIrq()
    {
        byte b = _cmos[(int)Offset.StatusB];
        bool level = ((_flags & CPf) != 0 && (b & BPie) != 0) || ((_flags & CAf) != 0 && (b & BAie) != 0) || ((_flags & CUf) != 0 && (b & BUie) != 0);
        if (level == _irq) return;
        _irq = level;
        IrqChanged?.Invoke(level);
    }

    // The periodic interrupt's period in 32.768 kHz time-base ticks (register A RS3–RS0), or null for none.
    private long? PeriodicTicks()
    {
        int rs = _cmos[(int)Offset.StatusA] & 0x0F;
        return rs switch { 0 => null, 1 => 128, 2 => 256, _ => 1L << (rs - 1) };
    }

    private static long TimeBaseTick(long ns) => (ns / NsPerSecond * TimeBaseHz) + (ns % NsPerSecond * TimeBaseHz / NsPerSecond);

    private static long TimeOfTimeBaseTick(long tick) => (long)(((Int128)tick * NsPerSecond + TimeBaseHz - 1) / TimeBaseHz);

    // The first update cycle (a whole second of the clock) after simulated time ns.
    private long NextUpdate(long ns)
    {
        long phase = _base.Ticks % TimeSpan.TicksPerSecond * 100; // ns past the whole second at _baseNs
        long intoSecond = ((ns - _baseNs + phase) % NsPerSecond + NsPerSecond) % NsPerSecond;
        return ns + (NsPerSecond - intoSecond);
    }

    // The first update at or after `update` (an update time) whose new time matches the alarm bytes; null if none
    // within a day (an alarm byte that can never match).
    private long? NextAlarm(long update)
    {
        byte b = _cmos[(int)Offset.StatusB];
        byte s = _cmos[(int)Offset.SecondsAlarm], m = _cmos[(int)Offset.MinutesAlarm], h = _cmos[(int)Offset.HoursAlarm];
        for (int k = 0; k <= 86_400; k++)
        {
            long at = update + k * NsPerSecond;
            DateTime t = _base.AddTicks((at - _baseNs) / 100);
            if (Matches(s, Encode(t.Second, b)) && Matches(m, Encode(t.Minute, b)) && Matches(h, HourByte(t.Hour, b))) return at;
        }

        return null;

        static bool Matches(byte alarm, byte value) => alarm >= 0xC0 || alarm == value;
    }

    private static byte HourByte(int hour, byte statusB)
    {
        if ((statusB & B24Hour) != 0) return Encode(hour, statusB);
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(Encode(h12, statusB) | (hour >= 12 ? 0x80 : 0));
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static DateTime SafeDate(DateTime t, int year, int month, int day)
    {
        year = Math.Clamp(year, 1, 9999);
        month = Math.Clamp(month, 1, 12);
        day = Math.Clamp(day, 1, DateTime.DaysInMonth(year, month));
        return new DateTime(year, month, day, t.Hour, t.Minute, t.Second, t.Kind).AddTicks(t.Ticks % TimeSpan.TicksPerSecond);
    }

    private static byte Encode(int value, byte statusB) =>
        (statusB & BBinary) != 0 ? (byte)value : (byte)((value / 10 << 4) | (value % 10));

    private static int Decode(byte value, byte statusB) =>
        (statusB & BBinary) != 0 ? value : (value >> 4) * 10 + (value & 0x0F);
}
