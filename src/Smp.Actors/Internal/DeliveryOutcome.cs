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
}
