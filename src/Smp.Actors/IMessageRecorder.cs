namespace Smp.Actors;

/// <summary>
/// Receives every delivery of a simulation, in delivery order (time, sender, sequence), in either mode.
/// Set it with <see cref="SimulationOptions.Recorder"/>; when none is set the conductor pays nothing.
/// </summary>
public interface IMessageRecorder
{
    /// <summary>Called once per message delivered to an actor's handlers (including unhandled and failing deliveries).</summary>
    /// <param name="time">The simulated time of the delivery.</param>
    /// <param name="senderPath">The sender's path inside the simulation, or <c>-</c> when the message had no sender.</param>
    /// <param name="receiverPath">The receiver's path inside the simulation.</param>
    /// <param name="message">The message as the actor sees it (timer messages are unwrapped).</param>
    void Record(long time, string senderPath, string receiverPath, object message);
}
