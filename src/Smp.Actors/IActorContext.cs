namespace Smp.Actors;

/// <summary>
/// What an actor can do besides handling messages: know itself, its sender and the time,
/// spawn and stop children, watch other actors, send with explicit delays and use timers.
/// Available as <see cref="Actor.Context"/>; use it only from the actor's own handlers.
/// </summary>
public interface IActorContext
{
    /// <summary>The actor's own reference.</summary>
    IActorRef Self { get; }

    /// <summary>The sender of the message being handled, or <see cref="ActorSystem.Nobody"/> when it had none.</summary>
    IActorRef Sender { get; }

    /// <summary>The parent actor (a guardian for top-level actors).</summary>
    IActorRef Parent { get; }

    /// <summary>The system the actor lives in.</summary>
    ActorSystem System { get; }

    /// <summary>The simulated time of the message being handled, in nanoseconds.</summary>
    long Now { get; }

    /// <summary>
    /// The end of the current quantum: the earliest time at which anything sent now can be
    /// delivered. A CPU actor runs its instructions up to this time.
    /// </summary>
    long QuantumEnd { get; }

    /// <summary>The actor's timers.</summary>
    TimerScheduler Timers { get; }

    /// <summary>Creates and starts a child actor; its path is this actor's path plus <paramref name="name"/>.</summary>
    /// <param name="props">The recipe of the child.</param>
    /// <param name="name">The child's name, unique among its siblings; a name like <c>$1</c> is chosen when null.</param>
    /// <returns>The child's reference.</returns>
    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>Finds a running child by name.</summary>
    /// <param name="name">The child's name.</param>
    /// <returns>The child, or null when no running child has that name.</returns>
    IActorRef? Child(string name);

    /// <summary>The running children, in spawn order.</summary>
    IReadOnlyList<IActorRef> Children { get; }

    /// <summary>
    /// Stops an actor (this one or another). Stopping this actor takes effect after the current
    /// message: its later messages become dead letters. Stopping another actor takes effect at
    /// the end of the current quantum, like a message would. Children stop before their parent,
    /// and <see cref="Actor.PostStop"/> runs for each.
    /// </summary>
    /// <param name="actor">The actor to stop.</param>
    void Stop(IActorRef actor);

    /// <summary>Asks to receive <see cref="Terminated"/> when <paramref name="actor"/> stops (at once if it already has).</summary>
    /// <param name="actor">The actor to watch.</param>
    void Watch(IActorRef actor);

    /// <summary>Stops watching <paramref name="actor"/>.</summary>
    /// <param name="actor">The watched actor.</param>
    void Unwatch(IActorRef actor);

    /// <summary>
    /// Sends a message that is due <paramref name="delay"/> nanoseconds after <see cref="Now"/>
    /// (instead of after the default latency), but never before <see cref="QuantumEnd"/>.
    /// </summary>
    /// <param name="delay">The delay in nanoseconds.</param>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="sender">The sender the receiver sees; this actor when null.</param>
    void ScheduleTell(long delay, IActorRef target, object message, IActorRef? sender = null);

    /// <summary>Sends a message due at the absolute simulated <paramref name="time"/>, but never before <see cref="QuantumEnd"/>.</summary>
    /// <param name="time">The due time in nanoseconds.</param>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="sender">The sender the receiver sees; this actor when null.</param>
    void TellAt(long time, IActorRef target, object message, IActorRef? sender = null);
}
