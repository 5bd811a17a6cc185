namespace Smp.Devices.Platform;

/// <summary>
/// One HPET comparator (IA-PC HPET specification 1.0a §2.3.8–§2.3.9): its configuration and capability register,
/// comparator and periodic increment. The owning <see cref="Hpet"/> feeds it the main counter's progress.
/// </summary>
internal sealed class HpetTimer
{
    // Tn_CONF_CAP bits (§2.3.8).
    public const ulong IntTypeLevel = 1 << 1, IntEnable = 1 << 2, TypePeriodic = 1 << 3, PeriodicCapable = 1 << 4,
        SizeCapable64 = 1 << 5, ValueSet = 1 << 6, Mode32 = 1 << 8, RouteShift = 9, RouteMask = 0x1FUL << 9,
        FsbEnable = 1 << 14, FsbCapable = 1 << 15;

    /// <summary>The bits software may write (Tn_VAL_SET_CNF is write-only and reads back 0 once consumed).</summary>
    public const ulong Writable = IntTypeLevel | IntEnable | TypePeriodic | ValueSet | Mode32 | RouteMask | FsbEnable;

    public HpetTimer(int index, uint routeCapability)
    {
        Index = index;
        RouteCapability = routeCapability;
    }

    /// <summary>The timer number n.</summary>
    public int Index { get; }

    /// <summary>Tn_INT_ROUTE_CAP: bit k set when I/O APIC input k may be selected.</summary>
    public uint RouteCapability { get; }

    /// <summary>The writable part of Tn_CONF_CAP.</summary>
    public ulong Config { get; set; }

    /// <summary>The comparator (in 32-bit mode only bits 31:0 count).</summary>
    public ulong Comparator { get; set; }

    /// <summary>The periodic increment: the value last written to the comparator in periodic mode.</summary>
    public ulong Period { get; set; }

    /// <summary>The interrupt output as last driven.</summary>
    public bool Output { get; set; }

    /// <summary>The register as the guest reads it: capabilities (periodic- and 64-bit-capable, no FSB delivery) plus configuration.</summary>
    public ulong ConfigCapabilities => ((ulong)RouteCapability << 32) | PeriodicCapable | SizeCapable64 | (Config & ~ValueSet);

    public bool Is32Bit => (Config & Mode32) != 0;

    public bool Periodic => (Config & TypePeriodic) != 0;

    public bool LevelTriggered => (Config & IntTypeLevel) != 0;

    public bool InterruptEnabled => (Config & IntEnable) != 0;

    public int Route => (int)((Config & RouteMask) >> (int)RouteShift);

    /// <summary>
    /// Writes the comparator (§2.3.9.2.2): in one-shot mode, or in periodic mode with Tn_VAL_SET_CNF set, the value
    /// becomes the comparator; in periodic mode it always becomes the increment. Tn_VAL_SET_CNF clears itself.
    /// </summary>
    public void WriteComparator(ulong value, ulong mask)
    {
        if (Is32Bit) value = (uint)value;
        if (!Periodic || (Config & ValueSet) != 0) Comparator = (Comparator & ~mask) | (value & mask);
        if (Periodic) Period = (Period & ~mask) | (value & mask);
        Config &= ~ValueSet;
    }

    /// <summary>
    /// Whether the main counter passed the comparator while going from <paramref name="from"/> (exclusive) to
    /// <paramref name="to"/> (inclusive); in periodic mode the comparator then advances by the increment past
    /// <paramref name="to"/> (several missed periods give one interrupt, as the hardware's single status bit does).
    /// </summary>
    public bool Matches(ulong from, ulong to)
    {
        if (to == from) return false;
        bool hit;
        if (Is32Bit)
        {
            ulong span = to - from;
            hit = span >= 1UL << 32 || (uint)((uint)Comparator - (uint)from - 1) < (uint)span;
        }
        else
        {
            hit = Comparator - from - 1 < to - from;
        }

        if (!hit || !Periodic || Period == 0) return hit;
        // The comparator moves on by whole increments to the first value past the counter (mod 2^32 in 32-bit mode).
        ulong passed = Is32Bit ? (uint)((uint)to - (uint)Comparator) : to - Comparator;
        Comparator += (passed / Period + 1) * Period;
        if (Is32Bit) Comparator = (uint)Comparator;
        return true;
    }

    /// <summary>How many main-counter ticks after <paramref name="counter"/> the comparator next matches (at least 1).</summary>
    public ulong TicksToMatch(ulong counter)
    {
        ulong distance = Is32Bit ? (uint)((uint)Comparator - (uint)counter) : Comparator - counter;
        if (distance == 0) distance = Is32Bit ? 1UL << 32 : ulong.MaxValue;
        return distance;
    }
}
