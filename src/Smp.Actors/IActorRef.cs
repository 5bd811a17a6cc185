namespace Smp.Actors;

/// <summary>
/// A handle to an actor: the only way to talk to it. Telling is asynchronous; the message
/// is delivered in simulated time by the actor system's scheduler.
/// </summary>
public interface IActorRef
{
    /// <summary>The actor's path in its system, for example <c>/user/cpu0</c>.</summary>
    string Path { get; }

    /// <summary>The actor's name: the last segment of <see cref="Path"/>.</summary>
    string Name { get; }

    /// <summary>
    /// Sends <paramref name="message"/> to the actor. From inside an actor the message is
    /// due at the sender's current time plus the system's default latency, and never earlier
    /// than the next quantum boundary; from outside (a test, the host) it is due at the
    /// system's current time.
    /// </summary>
    /// <param name="message">The message, preferably an immutable record.</param>
    /// <param name="sender">
    /// The actor the receiver sees as <see cref="Actor.Sender"/>. When null and the call is made
    /// from inside an actor, that actor is the sender; from outside, there is no sender.
    /// </param>
    void Tell(object message, IActorRef? sender = null);
}
