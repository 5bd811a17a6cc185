using Akka.Actor;

namespace Smp.Actors.Internal;

/// <summary>
/// One envelope handed to a simulated actor by the conductor (the Akka sender of this message is the
/// simulated sender). The actor handles <see cref="Message"/> and sends the same object back as its
/// acknowledgement, with <see cref="Outcome"/> filled in and its sends left in its cell's outbox.
/// </summary>
internal sealed class Delivery(SimCell cell, object message, long due, int slot)
{
    public SimCell Cell { get; } = cell;

    public object Message { get; } = message;

    public long Due { get; } = due;

    /// <summary>The envelope's index in the conductor's batch.</summary>
    public int Slot { get; } = slot;

    public DeliveryOutcome Outcome { get; set; }

    public Exception? Exception { get; set; }

    /// <summary>Set when the handler must throw instead (see <see cref="FaultInjection"/>).</summary>
    public FaultInjection? Fault { get; init; }

    /// <summary>The continuation of a delivery the actor suspended: it runs <see cref="SimActor.OnDeliveryResumed"/>, not a handler.</summary>
    public bool Resumed { get; init; }
}

/// <summary>An actor finished starting (constructor and PreStart); <see cref="Failure"/> is set when either threw.</summary>
internal sealed record Started(SimCell Cell, Exception? Failure);

/// <summary>An actor finished stopping (PostStop ran); <see cref="Failure"/> is set when PostStop threw.</summary>
internal sealed record Stopped(SimCell Cell, Exception? Failure);

/// <summary>A message that reached a simulated actor through plain Akka <c>Tell</c>, outside simulated time.</summary>
internal sealed record Stray(SimCell Cell, object Message);

/// <summary>From the host: create a top-level simulated actor as a child of the conductor.</summary>
internal sealed record SpawnRequest(Props Props, string? Name, TaskCompletionSource<IActorRef> Done);

/// <summary>From the host: stop an actor and its children now.</summary>
internal sealed record StopRequest(SimCell Cell, TaskCompletionSource<bool> Done);

/// <summary>From the host: deliver everything due before <see cref="Limit"/> (exclusive), or until <see cref="StopWhen"/> holds after a quantum.</summary>
internal sealed record RunRequest(long Limit, Func<bool>? StopWhen, bool SingleQuantum, TaskCompletionSource<RunResult> Done);
