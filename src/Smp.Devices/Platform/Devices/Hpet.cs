using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

/// <summary>
/// The High Precision Event Timer block at 0xFED00000 (IA-PC HPET specification 1.0a): a 64-bit main counter at
/// 100 MHz of simulated time and three comparators, each one-shot or periodic, 64- or 32-bit, edge or level, routed
/// to an I/O APIC input or, with legacy replacement, timer 0 to IRQ0 (I/O APIC input 2) and timer 1 to IRQ8. The
/// capabilities equal QEMU's (vendor 8086h, revision 1, 64-bit counter, legacy-replacement capable, 10 ns period).
/// </summary>
/// <remarks>
/// Registers (§2.3): 0x000 GCAP_ID, 0x010 GEN_CONF, 0x020 GINTR_STA, 0x0F0 MAIN_CNT, 0x100 + 0x20·n Tn_CONF_CAP,
/// 0x108 + 0x20·n Tn_COMPARATOR, 0x110 + 0x20·n Tn_FSB_INT_ROUTE. Accesses may be 4 or 8 bytes wide (a 4-byte access
/// reaches either half of a 64-bit register). Matches are found lazily: every access first brings the block up to
/// the accessing CPU's time, and <see cref="NextEventTime"/> tells the platform when an output will change next.
/// FSB (MSI) delivery is not offered (Tn_FSB_INT_DEL_CAP = 0).
/// </remarks>
public sealed class Hpet : IMmioDevice
{
    /// <summary>The conventional physical base address (the ACPI HPET table points here).</summary>
    public const ulong DefaultBase = 0xFED00000;

    /// <summary>The size of the register window.</summary>
    public const ulong WindowSize = 0x400;

    /// <summary>The number of comparators.</summary>
    public const int TimerCount = 3;

    /// <summary>The counter period in femtoseconds (10 ns: 100 MHz), as QEMU's HPET.</summary>
    public const uint PeriodFemtoseconds = 10_000_000;

    /// <summary>Nanoseconds per main-counter tick.</summary>
    public const long NanosecondsPerTick = PeriodFemtoseconds / 1_000_000;

    /// <summary>
    /// GCAP_ID bits 31:0, also the ACPI HPET table's Event Timer Block ID: vendor 8086h, LEG_RT_CAP, COUNT_SIZE_CAP,
    /// NUM_TIM_CAP = timers − 1, REV_ID 1.
    /// </summary>
    public const uint CapabilitiesLow = (0x8086u << 16) | (1u << 15) | (1u << 13) | ((TimerCount - 1) << 8) | 0x01;

    /// <summary>Tn_INT_ROUTE_CAP of every comparator: I/O APIC inputs 20–23, as the ICH family offers.</summary>
    public const uint RouteCapability = 0x00F0_0000;

    private const ulong EnableCnf = 1, LegacyRouteCnf = 2;
    private const int RegCapabilities = 0x000, RegConfig = 0x010, RegInterruptStatus = 0x020, RegCounter = 0x0F0, RegTimers = 0x100;
    private const string Name = "hpet";

    private readonly HpetTimer[] _timers = new HpetTimer[TimerCount];
    private readonly Func<long> _clock;
    private readonly DeviceLog? _log;
    private ulong _config, _status;
    private ulong _counterAtStart; // the counter when it last started (or its value while halted)
    private long _startedAt;       // simulated time at which it last started
    private ulong _syncedCounter;  // the counter value up to which matches have been processed
    private long _syncedAt;

    /// <summary>Creates the block, halted with every comparator disabled; <paramref name="clock"/> gives the simulated time (ns) of each access.</summary>
    /// <param name="clock">The simulated time of the access in progress (monotonic).</param>
    /// <param name="baseAddress">The physical base address.</param>
    /// <param name="log">Where unmodelled features are reported.</param>
    public Hpet(Func<long> clock, ulong baseAddress = DefaultBase, DeviceLog? log = null)
    {
        _clock = clock;
        _log = log;
        BaseAddress = baseAddress;
        for (int i = 0; i < TimerCount; i++) _timers[i] = new HpetTimer(i, RouteCapability) { Comparator = ulong.MaxValue, Period = 0 };
    }

    /// <summary>The physical base address of the register window.</summary>
    public ulong BaseAddress { get; }

    /// <summary>True while LEG_RT_CNF routes timer 0 to IRQ0 and timer 1 to IRQ8 (the PIT and RTC are then cut off).</summary>
    public bool LegacyReplacement => (_config & LegacyRouteCnf) != 0;

    /// <summary>
    /// Raised when a comparator's interrupt output changes: (timer, level). The platform routes it by
    /// <see cref="Route"/>; an edge-triggered comparator pulses (true, then false).
    /// </summary>
    public event Action<int, bool>? OutputChanged;

    /// <summary>Raised after a write that may move <see cref="NextEventTime"/>.</summary>
    public event Action? ScheduleChanged;

    /// <summary>Raised when legacy replacement is switched on or off.</summary>
    public event Action<bool>? LegacyReplacementChanged;

    /// <summary>Where timer <paramref name="timer"/>'s output goes: an ISA IRQ (0 or 8) under legacy replacement, else an I/O APIC input.</summary>
    /// <returns>(IsaIrq, Gsi): one of the two is −1.</returns>
    public (int IsaIrq, int Gsi) Route(int timer)
    {
        if (LegacyReplacement && timer < 2) return (timer == 0 ? 0 : 8, -1);
        return (-1, _timers[timer].Route);
    }

    /// <summary>The main counter at simulated time <paramref name="ns"/>.</summary>
    public ulong CounterAt(long ns) =>
        (_config & EnableCnf) == 0 ? _counterAtStart : _counterAtStart + (ulong)((ns - _startedAt) / NanosecondsPerTick);

    /// <summary>The earliest simulated time at which a comparator's interrupt output will change, or null.</summary>
    public long? NextEventTime
    {
        get
        {
            if ((_config & EnableCnf) == 0) return null;
            long? next = null;
            foreach (var t in _timers)
            {
                if (!t.InterruptEnabled || (t.LevelTriggered && t.Output)) continue;
                ulong ticks = t.TicksToMatch(_syncedCounter);
                if (ticks > (ulong)(long.MaxValue / NanosecondsPerTick / 2)) continue;
                // The counter reaches _syncedCounter + ticks at this time (ticks are whole 10 ns steps from _startedAt).
                long at = _startedAt + (long)(_syncedCounter + ticks - _counterAtStart) * NanosecondsPerTick;
                at = Math.Max(at, _syncedAt);
                if (next is null || at < next) next = at;
            }

            return next;
        }
    }

    /// <summary>Maps the register window into <paramref name="memory"/>.</summary>
    public void AttachTo(PhysicalMemory memory) => memory.MapMmio(BaseAddress, WindowSize, this);

    /// <summary>Processes comparator matches up to simulated time <paramref name="ns"/>.</summary>
    public void AdvanceTo(long ns) => Sync(ns);

    /// <inheritdoc />
    public ulong Read(ulong address, int size)
    {
        Sync(_clock());
        int offset = (int)(address - BaseAddress);
        int register = offset & ~7, shift = 8 * (offset & 7);
        if (size is not (4 or 8) || (offset & (size - 1)) != 0)
        {
            _log?.Unmodelled(Name, $"{size}-byte read at +0x{offset:X} (registers take aligned 4- or 8-byte accesses)");
            return size >= 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1;
        }

        ulong value = ReadRegister(register) >> shift;
        return size == 8 ? value : (uint)value;
    }

    /// <inheritdoc />
    public void Write(ulong address, int size, ulong value)
    {
        Sync(_clock());
        int offset = (int)(address - BaseAddress);
        if (size is not (4 or 8) || (offset & (size - 1)) != 0)
        {
            _log?.Unmodelled(Name, $"{size}-byte write at +0x{offset:X} (registers take aligned 4- or 8-byte accesses)");
            return;
        }

        int register = offset & ~7, shift = 8 * (offset & 7);
        ulong mask = (size == 8 ? ulong.MaxValue : 0xFFFF_FFFFUL) << shift;
        WriteRegister(register, (value << shift) & mask, mask);
        ScheduleChanged?.Invoke();
    }

    private ulong ReadRegister(int register)
    {
        switch (register)
        {
            case RegCapabilities: return ((ulong)PeriodFemtoseconds << 32) | CapabilitiesLow;
            case RegConfig: return _config;
            case RegInterruptStatus: return _status;
            case RegCounter: return _syncedCounter;
        }

        if (TimerRegister(register) is not ({ } timer, int field)) return 0; // reserved registers read 0
        return field switch
        {
            0 => timer.ConfigCapabilities,
            8 => timer.Is32Bit ? (uint)timer.Comparator : timer.Comparator,
            _ => 0, // Tn_FSB_INT_ROUTE: FSB delivery is not offered
        };
    }

    private void WriteRegister(int register, ulong value, ulong mask)
    {
        switch (register)
        {
            case RegCapabilities:
                return; // read-only
            case RegConfig:
                WriteConfig((_config & ~mask) | (value & mask));
                return;
            case RegInterruptStatus:
                // Tn_INT_STS: writing 1 clears a level-triggered timer's status and releases its output (§2.3.6).
                for (int n = 0; n < TimerCount; n++)
                {
                    if ((value & (1UL << n)) == 0 || (_status & (1UL << n)) == 0) continue;
                    _status &= ~(1UL << n);
                    SetOutput(_timers[n], false);
                }

                return;
            case RegCounter:
                if ((_config & EnableCnf) != 0) _log?.Unmodelled(Name, "main counter written while running (software must halt it first, §2.3.7)");
                _counterAtStart = (_syncedCounter & ~mask) | (value & mask);
                _startedAt = _syncedAt;
                _syncedCounter = CounterAt(_syncedAt);
                return;
        }

        if (TimerRegister(register) is not ({ } timer, int field)) return;
        switch (field)
        {
            case 0:
            {
                ulong updated = (timer.Config & ~mask) | (value & mask);
                if ((updated & HpetTimer.FsbEnable) != 0) _log?.Unmodelled(Name, "FSB interrupt delivery (not offered: Tn_FSB_INT_DEL_CAP = 0)");
                int route = (int)((updated & HpetTimer.RouteMask) >> (int)HpetTimer.RouteShift);
                if ((timer.RouteCapability & (1u << route)) == 0 && (updated & HpetTimer.IntEnable) != 0 && !(LegacyReplacement && timer.Index < 2))
                    _log?.Unmodelled(Name, $"timer {timer.Index} routed to I/O APIC input {route}, outside Tn_INT_ROUTE_CAP");
                // A held (level) output leaves its old route before the configuration changes and is re-driven after.
                SetOutput(timer, false);
                timer.Config = updated & HpetTimer.Writable & ~HpetTimer.FsbEnable;
                if (timer.Is32Bit) timer.Comparator = (uint)timer.Comparator;
                if (!timer.LevelTriggered) _status &= ~(1UL << timer.Index); // Tn_INT_STS is defined in level mode only
                SetOutput(timer, timer.LevelTriggered && timer.InterruptEnabled && (_status & (1UL << timer.Index)) != 0);
                return;
            }
            case 8:
                timer.WriteComparator(value, mask);
                return;
        }
    }

    private void WriteConfig(ulong updated)
    {
        updated &= EnableCnf | LegacyRouteCnf;
        ulong changed = _config ^ updated;
        if ((changed & EnableCnf) != 0)
        {
            // Halting freezes the counter at its current value; starting runs it on from there (§2.3.5).
            _counterAtStart = _syncedCounter;
            _startedAt = _syncedAt;
        }

        bool legacyChanged = (changed & LegacyRouteCnf) != 0;
        if (legacyChanged)
        {
            // Timers 0 and 1 move between their own routes and IRQ0/IRQ8: drop their outputs on the old route first.
            SetOutput(_timers[0], false);
            SetOutput(_timers[1], false);
        }

        _config = updated;
        if (legacyChanged) LegacyReplacementChanged?.Invoke(LegacyReplacement);
        foreach (var t in _timers)
            if (t.LevelTriggered && (_status & (1UL << t.Index)) != 0) SetOutput(t, t.InterruptEnabled);
    }

    private (HpetTimer? Timer, int Field) TimerRegister(int register)
    {
        int n = (register - RegTimers) >> 5;
        if (register < RegTimers || n >= TimerCount) return (null, 0);
        return (_timers[n], (register - RegTimers) & 0x18);
    }

    private void Sync(long ns)
    {
        if (ns <= _syncedAt) return;
        ulong counter = CounterAt(ns);
        ulong from = _syncedCounter;
        _syncedAt = ns;
        _syncedCounter = counter;
        if (counter == from) return;
        foreach (var t in _timers)
        {
            if (!t.Matches(from, counter)) continue;
            if (t.LevelTriggered)
            {
                _status |= 1UL << t.Index;
                if (t.InterruptEnabled) SetOutput(t, true);
            }
            else if (t.InterruptEnabled)
            {
                SetOutput(t, true);
                SetOutput(t, false);
            }
        }
    }

    private void SetOutput(HpetTimer timer, bool level)
    {
        if (timer.Output == level) return;
        timer.Output = level;
        OutputChanged?.Invoke(timer.Index, level);
    }
}
