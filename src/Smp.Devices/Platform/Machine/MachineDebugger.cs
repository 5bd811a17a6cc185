using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Debugger;

namespace Smp.Devices.Platform;

/// <summary>
/// A debugger's handle on a <see cref="Machine"/> (the gdb stub uses it): breakpoints and watchpoints shared by every
/// CPU, single steps, and stopping the whole machine. A stop freezes simulated time for the whole machine: a CPU that
/// reaches a breakpoint, completes a step or trips a watchpoint suspends its delivery, and the conductor pauses before
/// the next envelope (<see cref="Smp.Actors.RunResult.Paused"/>); <see cref="RequestPause"/> pauses it between two envelopes
/// from any thread. <see cref="Machine.Continue"/> then resumes exactly where it stopped, so a run that stops and
/// continues does what the same run without a debugger does.
/// </summary>
/// <remarks>
/// Everything but <see cref="RequestPause"/> is called between runs (while <see cref="Machine.Continue"/> is not
/// executing), from one thread at a time.
/// </remarks>
public sealed class MachineDebugger
{
    private readonly Machine _machine;

    internal MachineDebugger(Machine machine)
    {
        _machine = machine;
        foreach (var core in machine.Cores) core.DebugPoints = Points;
    }

    /// <summary>The breakpoints and watchpoints; after changing them call <see cref="PointsChanged"/>.</summary>
    public DebugPoints Points { get; } = new();

    /// <summary>True while the machine is paused in the middle of its run (a stop, or <see cref="RequestPause"/>).</summary>
    public bool IsPaused => _machine.Simulation.IsPaused;

    /// <summary>Makes every CPU take a change of <see cref="Points"/> into account.</summary>
    public void PointsChanged()
    {
        foreach (var core in _machine.Cores) core.OnDebugPointsChanged();
    }

    /// <summary>Pauses the running machine before its next envelope (any thread; a Ctrl-C in the debugger).</summary>
    public void RequestPause() => _machine.Simulation.RequestPause();

    /// <summary>The CPUs that stopped for the debugger in the last run and why, by CPU index (none after a <see cref="RequestPause"/>).</summary>
    /// <returns>The stops.</returns>
    public IReadOnlyList<(int Cpu, DebugStop Stop)> Stops()
    {
        var stops = new List<(int, DebugStop)>();
        for (int i = 0; i < _machine.Cores.Count; i++)
            if (_machine.Cores[i].DebugStop.Kind != DebugStopKind.None) stops.Add((i, _machine.Cores[i].DebugStop));
        return stops;
    }

    /// <summary>
    /// Clears every stop and pending step before the machine runs on. The CPU whose stop the debugger was told about
    /// does not stop again at the breakpoint of the instruction it stands at before it moves on.
    /// </summary>
    /// <param name="reportedCpu">The CPU the debugger saw stop, or null.</param>
    public void PrepareResume(int? reportedCpu)
    {
        for (int i = 0; i < _machine.Cores.Count; i++) _machine.Cores[i].DebugResume(reported: i == reportedCpu);
    }

    /// <summary>Makes CPU <paramref name="cpu"/> stop after its next instruction (or event) when the machine runs on; call after <see cref="PrepareResume"/>.</summary>
    /// <param name="cpu">The CPU index.</param>
    public void Step(int cpu) => _machine.Cores[cpu].DebugStepOnce();

    /// <summary>Removes every breakpoint, watchpoint, stop and step (the debugger went away): the machine runs on undisturbed.</summary>
    public void Detach()
    {
        Points.Clear();
        PointsChanged();
        PrepareResume(null);
    }
}
