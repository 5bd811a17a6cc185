namespace Smp.Actors.Internal;

/// <summary>
/// A short-lived actor standing for the caller of <see cref="ActorSystem.Ask{T}"/>: the first
/// message it receives completes the task; a timer in simulated time fails it.
/// </summary>
internal sealed class AskActor<T> : Actor
{
    private static readonly object TimeoutKey = new();
    private readonly TaskCompletionSource<T> _completion;
    private readonly long _timeout;

    public AskActor(TaskCompletionSource<T> completion, long timeout, string description)
    {
        _completion = completion;
        _timeout = timeout;
        ReceiveAny(message =>
        {
            if (message is AskTimeoutTick)
            {
                _completion.TrySetException(new AskTimeoutException(
                    $"{description} got no reply within {SimTime.Format(_timeout)} of simulated time (gave up at t={SimTime.Format(Context.Now)})."));
            }
            else if (message is T reply)
            {
                _completion.TrySetResult(reply);
            }
            else
            {
                _completion.TrySetException(new InvalidCastException(
                    $"{description} expected a reply of type {typeof(T).Name} but received {message.GetType().Name}: {message}."));
            }

            Context.Stop(Self);
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
