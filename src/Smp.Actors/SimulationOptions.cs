namespace Smp.Actors;

/// <summary>How a <see cref="Simulation"/> schedules and delivers messages. Immutable.</summary>
public sealed record SimulationOptions
{
    /// <summary>
    /// The scheduling quantum in nanoseconds (default 1 µs). Quantum boundaries lie on multiples of it. A message
    /// sent during a quantum is delivered no earlier than the next boundary: that conservative rule is what lets
    /// parallel mode run the actors of one quantum concurrently and still give the same results.
    /// </summary>
    public long Quantum { get; init; } = SimTime.Microsecond;

    /// <summary>
    /// The latency in nanoseconds added to every <see cref="ISimContext.Tell"/> made from inside an actor
    /// (default 0: the message is due at the next quantum boundary). Explicitly delayed sends
    /// (<see cref="ISimContext.ScheduleTell"/>) use their own delay instead.
    /// </summary>
    public long DefaultLatency { get; init; }

    /// <summary>Deterministic (the default) or parallel delivery.</summary>
    public SimulationMode Mode { get; init; } = SimulationMode.Deterministic;

    /// <summary>An optional recorder that sees every delivery (see <see cref="MessageLog"/>); null costs nothing.</summary>
    public IMessageRecorder? Recorder { get; init; }

    /// <summary>An actor that must throw on one message type (to test the failure path), or null.</summary>
    public FaultInjection? FaultInjection { get; init; }
}
