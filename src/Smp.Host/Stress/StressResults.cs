namespace Smp.Host.Stress;

/// <summary>One finding of a scenario: a violation, or an expected outcome worth reporting (the guard hole's #DF).</summary>
/// <param name="Seed">The seed that found it.</param>
/// <param name="Scenario">The scenario name.</param>
/// <param name="Kind">The violation kind.</param>
/// <param name="Cpu">The CPU index.</param>
/// <param name="Vector">The vector delivered, or -1.</param>
/// <param name="Ist">The IST slot used, or 0.</param>
/// <param name="Rip">The interrupted RIP.</param>
/// <param name="Details">One sentence.</param>
/// <param name="Oops">The Linux-shaped oops text.</param>
internal sealed record StressFinding(ulong Seed, string Scenario, StressViolationKind Kind, int Cpu, int Vector, int Ist, ulong Rip,
    string Details, string Oops);

/// <summary>What one seed did.</summary>
/// <param name="Seed">The seed.</param>
/// <param name="Scenario">The scenario it ran.</param>
/// <param name="Plan">The plan, described.</param>
/// <param name="Injections">Injections made (breakpoints planted, NMIs latched, TF set).</param>
/// <param name="Violations">Violations found (each with its oops).</param>
/// <param name="Expected">Expected outcomes reported with an oops: the DB2 guard hole catching triple #DB nesting (→ #DF).</param>
/// <param name="DeliveriesByDepth">Event deliveries by nesting depth (index = depth).</param>
/// <param name="Instructions">Instructions executed by all CPUs.</param>
/// <param name="Finished">True when every CPU was idle again at the end (false: the instruction bound stopped it).</param>
/// <param name="Console">The guest's COM1 output during the scenario.</param>
internal sealed record SeedResult(ulong Seed, string Scenario, string Plan, int Injections, IReadOnlyList<StressFinding> Violations,
    IReadOnlyList<StressFinding> Expected, long[] DeliveriesByDepth, long Instructions, bool Finished, string Console);
