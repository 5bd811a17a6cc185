namespace Smp.Actors;

/// <summary>
/// Runs the deliveries of one quantum. The system chooses the quantum and the messages
/// (all those due before its end); the dispatcher decides on which host threads the
/// receiving actors run. Both implementations deliver each actor's messages in
/// (time, sender, sequence) order and report deliveries, dead letters and failures in
/// that global order, so message-only workloads give identical logs with either.
/// </summary>
public abstract class Dispatcher
{
    private ActorSystem? _system;

    /// <summary>A short name for reports and benchmarks, for example <c>deterministic</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The system this dispatcher serves, once it has been given to one.</summary>
    internal ActorSystem System => _system ?? throw new InvalidOperationException("The dispatcher is not attached to an actor system.");

    /// <summary>Binds the dispatcher to its system; a dispatcher cannot serve two systems.</summary>
    /// <param name="system">The owning system.</param>
    internal void Attach(ActorSystem system)
    {
        if (_system is not null && !ReferenceEquals(_system, system))
        {
            throw new InvalidOperationException($"The {Name} dispatcher already serves actor system '{_system.Name}'; create one dispatcher per system.");
        }

        _system = system;
    }

    /// <summary>Delivers every queued message due before <paramref name="windowEnd"/>.</summary>
    /// <param name="windowEnd">The exclusive end of the window (the quantum end or the run's time limit).</param>
    internal abstract void RunWindow(long windowEnd);
}
