namespace Smp.Actors.Internal;

/// <summary>
/// A short-lived actor standing for the caller of <see cref="Simulation.Ask{T}"/>: the first message it receives
/// completes the task; a timer in simulated time fails it (Akka's own Ask waits in wall time).
/// </summary>
internal sealed class AskActor<T> : SimActor
{
    private static readonly object TimeoutKey = new();
    private readonly long _timeout;

    public AskActor(TaskCompletionSource<T> completion, long timeout, string description)
    {
        _timeout = timeout;
        ReceiveAny(message =>
        {
            if (message is AskTimeoutTick)
            {
                completion.TrySetException(new AskTimeoutException(
                    $"{description} got no reply within {SimTime.Format(_timeout)} of simulated time (gave up at t={SimTime.Format(Sim.Now)})."));
            }
            else if (message is T reply)
            {
                completion.TrySetResult(reply);
            }
            else
            {
                completion.TrySetException(new InvalidCastException(
                    $"{description} expected a reply of type {typeof(T).Name} but received {message.GetType().Name}: {message}."));
            }

            Sim.Stop(Self);
        });
    }

    protected override void PreStart() => Timers.StartSingle(TimeoutKey, AskTimeoutTick.Instance, _timeout);

    /// <summary>The timeout message of an ask.</summary>
    private sealed class AskTimeoutTick
    {
        public static readonly AskTimeoutTick Instance = new();

        public override string ToString() => "AskTimeout";
    }
}
