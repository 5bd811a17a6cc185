using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Host.Running;

namespace Smp.Host.Tests.Running;

/// <summary>A Linux panic seen through the kernel's symbols: panic() entered, then its final loop (no_blink) reached.</summary>
public sealed class FunctionTrackerTests
{
    private static readonly Dictionary<ulong, string> Names = new()
    {
        [0x1000] = "rest_init",
        [0x2000] = "kernel_init",
        [0x3000] = "panic",
        [0x4000] = "no_blink",
        [0x5000] = "i8042_panic_blink",
    };

    [Theory]
    [InlineData(0x4000UL)] // no_blink, the default callback
    [InlineData(0x5000UL)] // the i8042 driver's, installed when a controller answers
    public void The_panic_loop_after_panic_reports_the_cpu_and_the_last_function_before_the_panic(ulong blink)
    {
        using var memory = new PhysicalMemory(1 << 20);
        var cpu = new CpuCore(memory);
        var reports = new List<(int Cpu, string Reason)>();
        var tracker = new FunctionTracker(3, Names, trace: null) { Panicked = (c, r) => reports.Add((c, r)) };

        foreach (var address in new ulong[] { 0x1000, 0x2000, 0x3000 }) tracker.FunctionEntered(cpu, address, 0);
        Assert.Empty(reports); // panic() is still printing
        tracker.FunctionEntered(cpu, blink, 0);
        tracker.FunctionEntered(cpu, blink, 0); // the loop blinks on: one report

        var report = Assert.Single(reports);
        Assert.Equal(3, report.Cpu);
        Assert.Equal("panic() reached its final loop; the last watched function before it was kernel_init", report.Reason);
        Assert.Equal("kernel_init", tracker.PhaseBeforePanic);
    }

    [Fact]
    public void The_blink_callback_without_a_panic_is_no_panic()
    {
        using var memory = new PhysicalMemory(1 << 20);
        var cpu = new CpuCore(memory);
        int reports = 0;
        var tracker = new FunctionTracker(0, Names, trace: null) { Panicked = (_, _) => reports++ };

        tracker.FunctionEntered(cpu, 0x1000, 0);
        tracker.FunctionEntered(cpu, 0x4000, 0);

        Assert.Equal(0, reports);
        Assert.Null(tracker.PhaseBeforePanic);
        Assert.Equal("no_blink", tracker.LastPhase);
    }
}
