using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Host.Running;

namespace Smp.Host.Tests.Running;

/// <summary>The watched functions a CPU went through, and where it was when it entered Linux's panic().</summary>
public sealed class FunctionTrackerTests
{
    private static readonly Dictionary<ulong, string> Names = new()
    {
        [0x1000] = "rest_init",
        [0x2000] = "kernel_init",
        [0x3000] = "panic",
        [0x4000] = "cpu_startup_entry",
    };

    [Fact]
    public void Entering_panic_remembers_the_last_watched_function_before_it()
    {
        using var memory = new PhysicalMemory(1 << 20);
        var cpu = new CpuCore(memory);
        var tracker = new FunctionTracker(3, Names, trace: null);

        foreach (var address in new ulong[] { 0x1000, 0x2000, 0x3000, 0x3000 }) tracker.FunctionEntered(cpu, address, 0);

        Assert.Equal("kernel_init", tracker.PhaseBeforePanic); // a nested panic() keeps the first
        Assert.Equal("panic", tracker.LastPhase);
        Assert.Equal(0, tracker.FirstEntry("rest_init"));
    }

    [Fact]
    public void A_cpu_that_never_panics_has_no_phase_before_panic()
    {
        using var memory = new PhysicalMemory(1 << 20);
        var cpu = new CpuCore(memory);
        var tracker = new FunctionTracker(0, Names, trace: null);

        tracker.FunctionEntered(cpu, 0x4000, 0);
        tracker.FunctionEntered(cpu, 0x9999, 0); // not watched

        Assert.Null(tracker.PhaseBeforePanic);
        Assert.Equal("cpu_startup_entry", tracker.LastPhase);
        Assert.Null(tracker.FirstEntry("panic"));
    }
}
