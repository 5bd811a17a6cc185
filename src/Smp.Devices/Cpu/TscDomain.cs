namespace Smp.Devices.Cpu;

/// <summary>
/// The time-stamp counter shared by the CPUs of one machine. Each CPU keeps its own clock and runs a quantum at a
/// time, so within a quantum one CPU may read its TSC "later" than another that reads afterwards in host order and
/// sees the first one's value through memory. Real processors with an invariant TSC (CPUID.80000007H:EDX[8]) never
/// let a TSC read that another read happened before return a smaller count, and kernels check exactly that when
/// they bring up CPUs (Linux's TSC warp test). The domain keeps the latest count any of its CPUs read and no read
/// returns less: reads stay ordered like the memory accesses that carry them, at most a quantum ahead of a
/// CPU's own clock.
/// </summary>
public sealed class TscDomain
{
    private long _latest;

    /// <summary>The largest cycle count a read has returned (saved with snapshots so that replays repeat).</summary>
    public ulong Latest
    {
        get => (ulong)Volatile.Read(ref _latest);
        set => Volatile.Write(ref _latest, (long)value);
    }

    /// <summary>Returns <paramref name="cycles"/>, or the latest count already read if that is larger, and records it.</summary>
    internal ulong Order(ulong cycles)
    {
        while (true)
        {
            long seen = Volatile.Read(ref _latest);
            if ((long)cycles <= seen) return (ulong)seen;
            if (Interlocked.CompareExchange(ref _latest, (long)cycles, seen) == seen) return cycles;
        }
    }
}
