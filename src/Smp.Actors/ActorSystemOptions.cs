namespace Smp.Actors;

/// <summary>How an <see cref="ActorSystem"/> schedules and dispatches messages. Immutable.</summary>
public sealed record ActorSystemOptions
{
    /// <summary>
    /// The scheduling quantum in nanoseconds (default 1 µs). Quantum boundaries lie on
    /// multiples of it. A message sent during a quantum is delivered no earlier than the
    /// next boundary: that conservative rule is what lets the parallel dispatcher run
    /// the actors of one quantum concurrently and still give the same results.
    /// </summary>
    public long Quantum { get; init; } = SimTime.Microsecond;

    /// <summary>
    /// The latency in nanoseconds added to every <see cref="IActorRef.Tell"/> made from
    /// inside an actor (default 0: the message is due at the next quantum boundary).
    /// Explicitly delayed sends (<see cref="IActorContext.ScheduleTell"/>) use their own delay instead.
    /// </summary>
    public long DefaultLatency { get; init; }

    /// <summary>
    /// The dispatcher that runs the actors of each quantum: a new
    /// <see cref="DeterministicDispatcher"/> when null. A dispatcher serves one system only.
    /// </summary>
    public Dispatcher? Dispatcher { get; init; }

    /// <summary>An optional recorder that sees every delivery (see <see cref="MessageLog"/>); null costs nothing.</summary>
    public IMessageRecorder? Recorder { get; init; }
}
