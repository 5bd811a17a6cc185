using Smp.Actors.Internal;

namespace Smp.Actors;

/// <summary>
/// The base class of every actor (the shape of Akka.NET's <c>ReceiveActor</c>). Register
/// typed handlers with <see cref="Receive{T}(Action{T})"/> in the constructor; the first
/// handler whose type (and predicate) matches a message handles it; a message no handler
/// matches goes to <see cref="Unhandled"/> and becomes a dead letter. Handlers run one
/// message at a time, so an actor's fields need no locking.
/// </summary>
/// <remarks>
/// Actors are created by <see cref="ActorSystem.ActorOf(Props, string?)"/> or
/// <see cref="IActorContext.ActorOf"/> from <see cref="Props"/>, never with <c>new</c> directly.
/// A CPU-like actor that works in quanta sends itself its next <c>RunQuantum</c> with
/// <c>Self.Tell(...)</c>: the message is due at the next quantum boundary
/// (<see cref="IActorContext.QuantumEnd"/>), and an actor with nothing due costs nothing.
/// </remarks>
public abstract class Actor
{
    private readonly ActorCell _cell;
    private List<Handler>? _building;

    /// <summary>Binds the new actor to the cell being created; fails when the actor is created outside an actor system.</summary>
    protected Actor()
    {
        _cell = ActorCell.TakeConstructing()
            ?? throw new InvalidOperationException(
                $"{GetType().Name} must be created by ActorSystem.ActorOf or Context.ActorOf from Props, not with new.");
        _building = [];
    }

    /// <summary>This actor's own reference.</summary>
    protected IActorRef Self => _cell.SelfRef;

    /// <summary>The sender of the message being handled, or <see cref="ActorSystem.Nobody"/> when it had none.</summary>
    protected IActorRef Sender => _cell.Sender;

    /// <summary>The actor's context: time, children, stopping, watching, delayed sends, timers.</summary>
    protected IActorContext Context => _cell;

    /// <summary>The actor's timers (the same as <c>Context.Timers</c>).</summary>
    protected TimerScheduler Timers => _cell.Timers;

    /// <summary>The current handlers, fixed after construction and replaced by <see cref="Become"/>.</summary>
    internal Handler[] Handlers { get; private set; } = [];

    /// <summary>The cell this actor lives in.</summary>
    internal ActorCell Cell => _cell;

    /// <summary>Handles messages of type <typeparamref name="T"/> (including derived types).</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="handler">Called with each matching message.</param>
    protected void Receive<T>(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        AddHandler(new TypedHandler<T>(handler, null));
    }

    /// <summary>Handles messages of type <typeparamref name="T"/> for which <paramref name="predicate"/> is true.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <param name="predicate">Decides whether this handler takes the message; otherwise later handlers are tried.</param>
    /// <param name="handler">Called with each matching message.</param>
    protected void Receive<T>(Func<T, bool> predicate, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ArgumentNullException.ThrowIfNull(handler);
        AddHandler(new TypedHandler<T>(handler, predicate));
    }

    /// <summary>Handles every message that earlier handlers did not take.</summary>
    /// <param name="handler">Called with each such message.</param>
    protected void ReceiveAny(Action<object> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        AddHandler(new AnyHandler(handler));
    }

    /// <summary>
    /// Replaces all handlers with those that <paramref name="configure"/> registers (by calling
    /// <see cref="Receive{T}(Action{T})"/>); the new behaviour applies from the next message on.
    /// </summary>
    /// <param name="configure">Registers the new handlers.</param>
    protected void Become(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var outer = _building;
        _building = [];
        try
        {
            configure();
        }
        finally
        {
            var built = _building;
            if (outer is not null)
            {
                // Become inside the constructor: keep collecting into the new behaviour.
                _building = built;
            }
            else
            {
                Handlers = built.ToArray();
                _building = null;
            }
        }
    }

    /// <summary>Called once after the constructor, before the first message; sends from here are allowed.</summary>
    protected virtual void PreStart()
    {
    }

    /// <summary>Called once when the actor stops, after its children have stopped; later messages become dead letters.</summary>
    protected virtual void PostStop()
    {
    }

    /// <summary>
    /// Called for a message that no handler matched; the default records it as a dead letter
    /// with <see cref="DeadLetterReason.Unhandled"/>. Handlers may also call it explicitly.
    /// </summary>
    /// <param name="message">The message that was not handled.</param>
    protected virtual void Unhandled(object message) => _cell.MarkUnhandled();

    internal void SealBehavior()
    {
        if (_building is not null)
        {
            Handlers = _building.ToArray();
            _building = null;
        }
    }

    internal void CallPreStart() => PreStart();

    internal void CallPostStop() => PostStop();

    internal void CallUnhandled(object message) => Unhandled(message);

    private void AddHandler(Handler handler)
    {
        if (_building is null)
        {
            throw new InvalidOperationException(
                $"{GetType().Name}: Receive can only be called in the constructor or inside Become.");
        }

        _building.Add(handler);
    }
}
