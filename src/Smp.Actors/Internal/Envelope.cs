namespace Smp.Actors.Internal;

/// <summary>
/// A message on its way: the only allocation-free carrier of a delivery. Ordered by
/// (due time, sender id, sequence), a total order because each sender numbers its sends.
/// </summary>
internal struct Envelope
{
    /// <summary>The simulated time at which the message is delivered.</summary>
    public long Due;

    /// <summary>The id of the sending actor (0 for sends from outside the system).</summary>
    public int SenderId;

    /// <summary>The sender's own monotonic send counter.</summary>
    public long Sequence;

    /// <summary>The receiving cell.</summary>
    public ActorCell Target;

    /// <summary>The message (a <see cref="TimerFire"/> for timers).</summary>
    public object Message;

    /// <summary>The sender the receiver sees, or null.</summary>
    public IActorRef? Sender;

    /// <summary>True when <paramref name="a"/> is delivered before <paramref name="b"/>.</summary>
    public static bool Precedes(in Envelope a, in Envelope b)
    {
        if (a.Due != b.Due)
        {
            return a.Due < b.Due;
        }

        if (a.SenderId != b.SenderId)
        {
            return a.SenderId < b.SenderId;
        }

        return a.Sequence < b.Sequence;
    }
}
