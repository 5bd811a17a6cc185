using Smp.Devices.Cpu;

namespace Smp.Devices.Platform;

/// <summary>
/// Which CPU is executing guest code on this host thread, so that a device reached by MMIO (which carries no
/// initiator) can read the exact simulated time of the access: an HPET counter read by CPU 3 shows CPU 3's clock,
/// not the boot CPU's last port access. The CPU actor enters its core around each quantum. Thread-static, so it is
/// right under the parallel dispatcher too (a host thread runs one actor at a time).
/// </summary>
public static class ExecutingCpu
{
    [ThreadStatic]
    private static CpuCore? t_core;

    /// <summary>The simulated time (ns) of the CPU executing on this thread, or null outside guest execution.</summary>
    public static long? Time => t_core?.SimulatedNanoseconds;

    /// <summary>Marks <paramref name="core"/> as executing on this thread until <see cref="Leave"/>.</summary>
    /// <param name="core">The core about to run.</param>
    public static void Enter(CpuCore core) => t_core = core;

    /// <summary>Ends the span begun by <see cref="Enter"/>.</summary>
    public static void Leave() => t_core = null;
}
