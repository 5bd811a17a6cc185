using Akka.Actor;

namespace Smp.Actors;

/// <summary>A message of the simulation that could not be handled, kept by <see cref="Simulation.DeadLetters"/> in simulated time.</summary>
/// <param name="Time">The simulated time at which the message came due, in nanoseconds.</param>
/// <param name="Message">The message.</param>
/// <param name="Sender">The sender the message carried, or null when it had none.</param>
/// <param name="Recipient">The actor the message was addressed to.</param>
/// <param name="SenderPath">The sender's path inside the simulation (<c>-</c> for none).</param>
/// <param name="RecipientPath">The recipient's path inside the simulation.</param>
/// <param name="Reason">Why the message was not handled.</param>
public sealed record DeadLetter(long Time, object Message, IActorRef? Sender, IActorRef Recipient, string SenderPath, string RecipientPath, DeadLetterReason Reason)
{
    /// <summary>One line with the time, the reason, the route and the message.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"[{SimTime.Format(Time)}] dead letter ({Reason}) {SenderPath} -> {RecipientPath}: {Message}";
}
