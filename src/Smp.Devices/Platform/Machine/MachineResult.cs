using System.Globalization;
using System.Text;
using Smp.Actors;
using Smp.Devices.Cpu;
using Smp.Devices.Platform.Actors;

namespace Smp.Devices.Platform;

/// <summary>Where one CPU was when the run ended.</summary>
/// <param name="Index">The CPU index.</param>
/// <param name="ApicId">Its APIC ID.</param>
/// <param name="State">Its activity state.</param>
/// <param name="Mode">Its execution mode.</param>
/// <param name="Cs">The CS selector.</param>
/// <param name="Rip">RIP.</param>
/// <param name="Instructions">Instructions it retired.</param>
/// <param name="SimulatedNanoseconds">Its clock.</param>
public sealed record CpuSummary(int Index, int ApicId, RunState State, CpuMode Mode, ushort Cs, ulong Rip, long Instructions, long SimulatedNanoseconds)
{
    /// <summary>One line: for example <c>CPU1 (APIC 1) Halted Long64 0010:0000000000100023, 42 instructions</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"CPU{Index} (APIC {ApicId}) {State} {Mode} {Cs:X4}:{Rip:X16}, {Instructions} instructions");
}

/// <summary>How a machine run ended.</summary>
/// <param name="Reason">Why it stopped.</param>
/// <param name="ExitCode">The debug-exit code ((v &lt;&lt; 1) | 1) for <see cref="StopReason.DebugExit"/>.</param>
/// <param name="Cpus">Every CPU's final state.</param>
/// <param name="SimulatedNanoseconds">The simulated time reached.</param>
/// <param name="Instructions">Instructions executed over all CPUs.</param>
/// <param name="HostSteps">Scheduler quanta the host ran (idle time costs none).</param>
/// <param name="ShutdownCpu">The CPU that shut down, for <see cref="StopReason.Shutdown"/>.</param>
/// <param name="ShutdownReason">Its vector chain, for <see cref="StopReason.Shutdown"/>.</param>
/// <param name="Failure">The actor failure, for <see cref="StopReason.ActorFailure"/>.</param>
/// <param name="ResetSource">What reset the machine, for <see cref="StopReason.Reset"/>.</param>
public sealed record MachineResult(
    StopReason Reason,
    int? ExitCode,
    IReadOnlyList<CpuSummary> Cpus,
    long SimulatedNanoseconds,
    long Instructions,
    long HostSteps,
    int? ShutdownCpu,
    string? ShutdownReason,
    ActorFailure? Failure,
    string? ResetSource = null)
{
    /// <summary>A report for people: one paragraph for a shutdown, the CPUs' positions otherwise.</summary>
    /// <returns>The report.</returns>
    public string Report()
    {
        var sb = new StringBuilder();
        string at = SimTime.Format(SimulatedNanoseconds);
        switch (Reason)
        {
            case StopReason.Shutdown:
                var cpu = Cpus[ShutdownCpu ?? 0];
                sb.Append(CultureInfo.InvariantCulture, $"CPU{cpu.Index} (APIC {cpu.ApicId}) shut down at {at} of simulated time: {ShutdownReason}. ");
                sb.Append(CultureInfo.InvariantCulture, $"It was in {cpu.Mode} mode at {cpu.Cs:X4}:{cpu.Rip:X}, after {cpu.Instructions} instructions; ");
                sb.Append(CultureInfo.InvariantCulture, $"the machine ran {Instructions} instructions on {Cpus.Count} CPU(s).");
                return sb.ToString();
            case StopReason.GuestPanic:
                var panicked = Cpus[ShutdownCpu ?? 0];
                sb.Append(CultureInfo.InvariantCulture, $"The guest kernel panicked on CPU{panicked.Index} (APIC {panicked.ApicId}) at {at} of simulated time ({Instructions} instructions): {ShutdownReason}.");
                break;
            case StopReason.ActorFailure:
                sb.Append(CultureInfo.InvariantCulture, $"The simulator failed at {at}: {Failure}");
                break;
            case StopReason.BudgetExhausted:
                sb.Append(CultureInfo.InvariantCulture, $"The instruction budget ran out after {Instructions} instructions at {at} of simulated time.");
                break;
            case StopReason.PowerOff:
                sb.Append(CultureInfo.InvariantCulture, $"The guest powered the machine off (ACPI S5) at {at} of simulated time ({Instructions} instructions).");
                break;
            case StopReason.Reset:
                sb.Append(CultureInfo.InvariantCulture, $"The guest reset the machine ({ResetSource}) at {at} of simulated time ({Instructions} instructions); the run ends there.");
                break;
            case StopReason.AllIdle:
                sb.Append(CultureInfo.InvariantCulture, $"Every CPU is idle with nothing pending at {at} of simulated time ({Instructions} instructions).");
                break;
            case StopReason.DebuggerKill:
                sb.Append(CultureInfo.InvariantCulture, $"The debugger killed the run at {at} of simulated time ({Instructions} instructions).");
                break;
            default:
                sb.Append(CultureInfo.InvariantCulture, $"The run stopped ({Reason}) at {at} after {Instructions} instructions.");
                break;
        }

        foreach (var c in Cpus) sb.Append('\n').Append("  ").Append(c);
        return sb.ToString();
    }
}
