namespace Smp.Actors;

/// <summary>How the conductor hands envelopes to actors within one quantum.</summary>
public enum SimulationMode
{
    /// <summary>
    /// One envelope at a time, in global (due time, sender, sequence) order, each acknowledged before the next
    /// is handed out. Runs are bit-for-bit reproducible, including actors that share memory outside messages.
    /// </summary>
    Deterministic,

    /// <summary>
    /// All envelopes of a quantum at once, to distinct actors on several host threads, behind a barrier: each
    /// actor still handles its own envelopes in order, and what they send is merged at the barrier, so actors
    /// that interact only through messages give the same message log as in deterministic mode.
    /// </summary>
    Parallel,
}
