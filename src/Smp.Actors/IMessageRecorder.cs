namespace Smp.Actors;

/// <summary>
/// Receives every delivery of an actor system, in delivery order (time, sender, sequence),
/// whichever dispatcher runs the system. Set it with <see cref="ActorSystemOptions.Recorder"/>;
/// when none is set the runtime pays nothing.
/// </summary>
public interface IMessageRecorder
{
    /// <summary>Called once per message delivered to an actor's handlers (including unhandled and failing deliveries).</summary>
    /// <param name="time">The simulated time of the delivery.</param>
    /// <param name="sender">The sender the message carried, or null.</param>
    /// <param name="receiver">The receiving actor.</param>
    /// <param name="message">The message as the actor sees it (timer messages are unwrapped).</param>
    void Record(long time, IActorRef? sender, IActorRef receiver, object message);
}
