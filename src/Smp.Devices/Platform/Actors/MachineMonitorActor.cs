using Smp.Actors;

namespace Smp.Devices.Platform.Actors;

/// <summary>Receives the CPUs' <see cref="CpuHalted"/> and <see cref="CpuShutdown"/> reports; a shutdown stops the run.</summary>
public sealed class MachineMonitorActor : SimActor
{
    /// <summary>Creates the monitor.</summary>
    /// <param name="control">The run's shared stop state.</param>
    public MachineMonitorActor(RunControl control)
    {
        Receive<CpuHalted>(_ => HaltReports++);
        Receive<CpuShutdown>(m =>
        {
            control.RequestShutdown(m.Cpu, m.Reason);
            Sim.RequestStop();
        });
    }

    /// <summary>How many times a CPU went to sleep in HLT.</summary>
    public int HaltReports { get; private set; }
}
