using Akka.Actor;

namespace Smp.Actors;

/// <summary>
/// What a <see cref="SimActor"/> does in simulated time: know the time, send stamped messages, use timers,
/// spawn, stop and watch other simulated actors. Available as <see cref="SimActor.Sim"/>; use it only from the
/// actor's own handlers, <c>PreStart</c> and <c>PostStop</c>. Everything sent here goes to the conductor with
/// the actor's acknowledgement and is delivered in (due time, sender id, sequence) order.
/// </summary>
public interface ISimContext
{
    /// <summary>The simulation the actor belongs to.</summary>
    Simulation Simulation { get; }

    /// <summary>The actor's path inside its simulation, for example <c>/cpu0</c> or <c>/board/cpu0</c> (stable from run to run).</summary>
    string Path { get; }

    /// <summary>The simulated time of the message being handled, in nanoseconds.</summary>
    long Now { get; }

    /// <summary>
    /// The end of the current quantum: the earliest time at which anything sent now can be delivered.
    /// A CPU actor runs its instructions up to this time.
    /// </summary>
    long QuantumEnd { get; }

    /// <summary>The actor's timers, in simulated time.</summary>
    SimTimers Timers { get; }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="target"/>, due at <see cref="Now"/> plus the simulation's
    /// default latency, and never before <see cref="QuantumEnd"/>. A target outside the simulation (a plain Akka actor)
    /// receives the message through Akka when it comes due.
    /// </summary>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message, preferably an immutable record.</param>
    /// <param name="sender">The sender the receiver sees; this actor when null.</param>
    void Tell(IActorRef target, object message, IActorRef? sender = null);

    /// <summary>Sends a message due <paramref name="delay"/> nanoseconds after <see cref="Now"/>, but never before <see cref="QuantumEnd"/>.</summary>
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

    /// <summary>Creates a simulated child actor (an Akka child of this actor); it starts before anything else is delivered.</summary>
    /// <param name="props">The recipe (Akka's <c>Props.Create(() =&gt; new T(...))</c>).</param>
    /// <param name="name">The child's name, unique among its siblings; Akka chooses one when null.</param>
    /// <returns>The child's reference.</returns>
    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>
    /// Stops a simulated actor and its children. Stopping this actor takes effect after the current message (its later
    /// messages become dead letters); stopping another takes effect at the end of the quantum, like a message would.
    /// </summary>
    /// <param name="actor">The actor to stop.</param>
    void Stop(IActorRef actor);

    /// <summary>
    /// Asks to receive Akka's <see cref="Terminated"/> when <paramref name="actor"/> stops, delivered in simulated time
    /// (at once if it already has).
    /// </summary>
    /// <param name="actor">The actor to watch.</param>
    void Watch(IActorRef actor);

    /// <summary>Stops watching <paramref name="actor"/>.</summary>
    /// <param name="actor">The watched actor.</param>
    void Unwatch(IActorRef actor);

    /// <summary>
    /// Instead of sending <paramref name="message"/> to itself for the next quantum, continues into that quantum within
    /// the delivery being handled, when the simulation would deliver that self-send next and nothing else in its quantum:
    /// the delivery is recorded, counted and timed exactly as if it had been sent (<see cref="Now"/> and
    /// <see cref="QuantumEnd"/> move on), but no message travels. Returns false, changing nothing, when anything could
    /// come first (another envelope due, a send of this handler, a stop, pause or limit) or in parallel mode; the actor then
    /// sends the message as usual. A CPU running alone uses it to save the round trip of every quantum.
    /// </summary>
    /// <param name="message">The message the actor would send itself (recorded as delivered).</param>
    /// <returns>True when the handler now runs in the next quantum.</returns>
    bool TryContinue(object message);

    /// <summary>
    /// The simulated time up to which <see cref="TryContinue"/> would keep succeeding for this actor if it sent nothing
    /// meanwhile: the due time of the first other envelope, or the run's limit. A quantum that ends at or before it may be
    /// continued into. <see cref="long.MinValue"/> when the actor could not continue now (parallel mode, a pause, a stop,
    /// a send in its outbox...). A CPU running alone uses it to run several quanta in one go when nothing else is due.
    /// </summary>
    long ContinuationHorizon();

    /// <summary>Asks the conductor to end the current run at the end of this quantum (for example when the guest shuts the machine down).</summary>
    void RequestStop();

    /// <summary>
    /// Suspends the delivery being handled: when the handler returns, the run pauses before any other envelope
    /// (<see cref="RunResult.Paused"/>), and when the simulation runs again the actor's
    /// <see cref="SimActor.OnDeliveryResumed"/> runs first, at the same simulated time, as the rest of this delivery. The
    /// delivery is recorded once, when a handler or <see cref="SimActor.OnDeliveryResumed"/> returns without suspending.
    /// A debugger uses it to stop the machine in the middle of a CPU's quantum without changing what happens next.
    /// </summary>
    void SuspendDelivery();
}
