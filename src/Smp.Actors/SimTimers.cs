using Smp.Actors.Internal;

namespace Smp.Actors;

/// <summary>
/// A simulated actor's timers: messages the actor sends itself after a delay in simulated time (never Akka's wall-clock timers),
/// once or periodically, identified by a key. Starting a timer with a key that is already
/// active replaces it; cancelled or replaced timers never deliver, even if their message
/// was already queued. Timers stop with the actor. Use only from the owning actor.
/// </summary>
public sealed class SimTimers
{
    private readonly SimCell _owner;
    private readonly Dictionary<object, TimerFire> _active = [];

    internal SimTimers(SimCell owner)
    {
        _owner = owner;
    }

    /// <summary>The number of active timers.</summary>
    public int Count => _active.Count;

    /// <summary>Delivers <paramref name="message"/> to the actor once, <paramref name="delay"/> nanoseconds from now.</summary>
    /// <param name="key">Identifies the timer for <see cref="Cancel"/> and replacement.</param>
    /// <param name="message">The message to deliver.</param>
    /// <param name="delay">The delay in nanoseconds (at least the rest of the current quantum).</param>
    public void StartSingle(object key, object message, long delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        Start(key, message, delay, 0);
    }

    /// <summary>
    /// Delivers <paramref name="message"/> every <paramref name="interval"/> nanoseconds, the first
    /// time one interval from now. An interval shorter than the quantum fires once per quantum.
    /// </summary>
    /// <param name="key">Identifies the timer for <see cref="Cancel"/> and replacement.</param>
    /// <param name="message">The message to deliver each period.</param>
    /// <param name="interval">The period in nanoseconds; must be positive.</param>
    public void StartPeriodic(object key, object message, long interval) => StartPeriodic(key, message, interval, interval);

    /// <summary>Delivers <paramref name="message"/> after <paramref name="initialDelay"/>, then every <paramref name="interval"/> nanoseconds.</summary>
    /// <param name="key">Identifies the timer for <see cref="Cancel"/> and replacement.</param>
    /// <param name="message">The message to deliver each period.</param>
    /// <param name="initialDelay">The delay before the first delivery, in nanoseconds.</param>
    /// <param name="interval">The period in nanoseconds; must be positive.</param>
    public void StartPeriodic(object key, object message, long initialDelay, long interval)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialDelay);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interval);
        Start(key, message, initialDelay, interval);
    }

    /// <summary>Whether a timer with <paramref name="key"/> is active (a single timer stops being active when it fires).</summary>
    /// <param name="key">The timer's key.</param>
    /// <returns>True when the timer is active.</returns>
    public bool IsActive(object key) => _active.ContainsKey(key);

    /// <summary>Cancels the timer with <paramref name="key"/>, if any; its pending message is dropped.</summary>
    /// <param name="key">The timer's key.</param>
    public void Cancel(object key) => _active.Remove(key);

    /// <summary>Cancels every timer of the actor.</summary>
    public void CancelAll() => _active.Clear();

    /// <summary>Accepts a fire if it belongs to a live timer; a single-shot timer becomes inactive.</summary>
    internal bool TryAccept(TimerFire fire)
    {
        if (!_active.TryGetValue(fire.Key, out var current) || !ReferenceEquals(current, fire))
        {
            return false;
        }

        if (fire.Interval == 0)
        {
            _active.Remove(fire.Key);
        }

        return true;
    }

    private void Start(object key, object message, long delay, long interval)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        var fire = new TimerFire(key, message, interval);
        _active[key] = fire;
        _owner.Send(_owner.Ref, fire, _owner.Ref, _owner.LocalNow + delay);
    }
}
