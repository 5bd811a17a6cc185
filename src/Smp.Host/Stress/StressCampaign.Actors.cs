using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;

namespace Smp.Host.Stress;

// The message path: a seed's NMIs go through the machine's APIC bus actor and the run goes through the conductor.
internal sealed partial class StressCampaign
{
    /// <summary>How long (simulated ns) a scenario through the actors may run before it is cut off, like <see cref="TailBudget"/>.</summary>
    public const long ActorRunLimit = 200 * 1_000;

    private bool _viaActors;

    /// <summary>
    /// Runs one seed's timed NMIs the way hardware delivers them: the snapshot restores RAM, the cores and the
    /// conductor's clock, every NMI enters the APIC bus as an NMI-mode message at the snapshot's time plus its planned
    /// offset (1 ns per planned instruction), and the machine's actors run until every CPU is idle again. Breakpoints and
    /// INT1 requests are planted as in <see cref="Run"/>; event-relative injections and TF need instruction-exact hooks
    /// that a message cannot reach (see the README) and are left out, so the plan is reported as run.
    /// </summary>
    /// <param name="seed">The seed.</param>
    /// <param name="scenario">A scenario name or <c>all</c>.</param>
    /// <returns>The result; the same seed gives the same result, message log included, whatever ran before.</returns>
    public SeedResult RunThroughActors(ulong seed, string scenario)
    {
        var full = StressScenarios.Plan(scenario, seed, Cpus, Targets);
        var plan = full with { Triggers = [], Timed = [.. full.Timed.Where(t => t.Kind == InjectionKind.Nmi)] };
        Prepare(plan);
        long start = _machine.Simulation.Now;
        foreach (var t in plan.Timed) _machine.SendNmi(t.Cpu, start + t.At);
        _viaActors = true;
        MachineResult result;
        try
        {
            result = _machine.Continue(start + ActorRunLimit);
        }
        finally
        {
            _viaActors = false;
            _plan = null;
        }

        bool finished = result.Reason == StopReason.AllIdle;
        if (finished && !_capped) CheckNmiContract();

        var depth = (long[])_monitor.DeliveriesByDepth.Clone();
        long executed = 0;
        foreach (var c in result.Cpus) executed += c.Instructions;
        return new SeedResult(seed, plan.Name, plan.Describe(), plan.Injections, [.. _violations], [.. _expected], depth, executed, finished,
            _console.ToString());
    }
}
