using Smp.Devices.Cpu;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;

namespace Smp.Devices.Tests.Platform.Machine;

/// <summary>A guest kernel panic as a stop reason: the first stop request wins, and the report names the CPU and where it was.</summary>
public sealed class RunControlPanicTests
{
    [Fact]
    public void A_panic_stops_the_run_and_the_report_names_the_cpu_and_the_reason()
    {
        var control = new RunControl(long.MaxValue);

        control.RequestPanic(1, "panic() reached its final loop; the last watched function before it was kernel_init");
        control.RequestPowerOff(); // later requests lose

        Assert.Equal(StopReason.GuestPanic, control.Reason);
        Assert.Equal(1, control.ShutdownCpu);
        var result = new MachineResult(control.Reason, null,
            [new CpuSummary(0, 0, RunState.Halted, CpuMode.Long64, 0x10, 0xFFFF_FFFF_8103_FC9B, 10, 5),
             new CpuSummary(1, 1, RunState.Running, CpuMode.Long64, 0x10, 0xFFFF_FFFF_810A_19E0, 20, 7)],
            7_000_000, 30, 2, control.ShutdownCpu, control.ShutdownReason, null);
        Assert.StartsWith(
            "The guest kernel panicked on CPU1 (APIC 1) at 7 ms of simulated time (30 instructions): panic() reached its final loop; the last watched function before it was kernel_init.",
            result.Report());
    }

    [Fact]
    public void A_panic_after_a_power_off_does_not_replace_it()
    {
        var control = new RunControl(long.MaxValue);
        control.RequestPowerOff();

        control.RequestPanic(0, "late");

        Assert.Equal(StopReason.PowerOff, control.Reason);
        Assert.Null(control.ShutdownReason);
    }
}
