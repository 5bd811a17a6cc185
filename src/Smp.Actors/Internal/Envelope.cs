using Akka.Actor;

namespace Smp.Actors.Internal;

/// <summary>
/// A message on its way through simulated time. Ordered by (due time, sender id, sequence), a
/// total order because each sender numbers its own sends; the conductor's queue keeps them.
/// </summary>
internal struct Envelope
{
    /// <summary>The simulated time at which the message is delivered.</summary>
    public long Due;

    /// <summary>The id of the sending actor (0 for sends from outside the simulation).</summary>
    public int SenderId;

    /// <summary>The sender's own monotonic send counter.</summary>
    public long Sequence;

    /// <summary>The receiving simulated actor, or null when the receiver is outside the simulation.</summary>
    public SimCell? Target;

    /// <summary>The receiver's reference (for receivers outside the simulation, the Akka actor the message leaves to).</summary>
    public IActorRef TargetRef;

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
