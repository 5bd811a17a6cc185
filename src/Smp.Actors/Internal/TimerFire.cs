namespace Smp.Actors.Internal;

/// <summary>
/// The envelope message of a simulated-time timer. The owning <see cref="Smp.Actors.SimTimers"/> keeps the
/// current instance per key, so a fire whose instance was replaced or cancelled is dropped.
/// Periodic timers re-send the same instance: no allocation per period.
/// </summary>
internal sealed class TimerFire(object key, object message, long interval)
{
    public object Key { get; } = key;

    public object Message { get; } = message;

    /// <summary>The period in nanoseconds, or 0 for a single-shot timer.</summary>
    public long Interval { get; } = interval;

    public override string ToString() => Message.ToString() ?? string.Empty;
}
