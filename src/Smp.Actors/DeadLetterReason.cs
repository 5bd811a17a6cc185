namespace Smp.Actors;

/// <summary>Why a message became a dead letter.</summary>
public enum DeadLetterReason
{
    /// <summary>The recipient had stopped (or was stopping) when the message came due.</summary>
    RecipientStopped,

    /// <summary>The recipient had no handler for the message, or called <c>Unhandled</c>.</summary>
    Unhandled,

    /// <summary>The message was sent to Akka's <c>Nobody</c> or no sender at all, for example a reply to a message that had no sender.</summary>
    NoRecipient,
}
