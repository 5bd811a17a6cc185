namespace Smp.Actors.Internal;

/// <summary>What happened to one envelope; the system turns it into log entries, dead letters or a failure report.</summary>
internal enum DeliveryOutcome : byte
{
    NotRun = 0,
    Delivered,
    Unhandled,
    RecipientStopped,
    NoRecipient,
    Dropped,
    Failed,

    /// <summary>The actor suspended the delivery (<see cref="ISimContext.SuspendDelivery"/>): its continuation runs after the pause.</summary>
    Suspended,

    /// <summary>Not run yet: an earlier delivery of the same actor in the batch is suspended (parallel mode); it runs after that one's continuation.</summary>
    Deferred,
}
