using System.Runtime.CompilerServices;

namespace Smp.Actors.Internal;

/// <summary>
/// The runtime side of one actor: identity (id, path), the actor instance, its children,
/// timers and watchers, and the bookkeeping both dispatchers need. It is the actor's
/// <see cref="IActorContext"/>.
/// </summary>
internal sealed class ActorCell : IActorContext
{
    [ThreadStatic]
    private static ActorCell? t_current;

    [ThreadStatic]
    private static ActorCell? t_constructing;

    [ThreadStatic]
    private static List<Envelope>? t_outbox;

    private readonly object _childrenLock = new();
    private List<ActorCell>? _children;
    private List<ActorCell>? _watchers;
    private TimerScheduler? _timers;
    private IActorRef? _sender;
    private bool _unhandled;

    public ActorCell(ActorSystem system, ActorCell? parent, string name, int id, Props props)
    {
        SystemImpl = system;
        ParentCell = parent;
        Name = name;
        Id = id;
        Props = props;
        Path = parent is null ? "/" + name : parent.Path + "/" + name;
        SelfRef = new LocalActorRef(this);
    }

    /// <summary>The cell whose handler runs on this thread, if any.</summary>
    public static ActorCell? Current => t_current;

    /// <summary>Where sends go during a parallel quantum (null: straight into the system's queue).</summary>
    public static List<Envelope>? Outbox
    {
        get => t_outbox;
        set => t_outbox = value;
    }

    public ActorSystem SystemImpl { get; }

    public ActorCell? ParentCell { get; }

    public string Name { get; }

    public string Path { get; }

    /// <summary>The sender id used for ordering: assigned at spawn, in spawn order.</summary>
    public int Id { get; }

    public Props Props { get; }

    public LocalActorRef SelfRef { get; }

    public Actor? ActorInstance { get; private set; }

    public volatile CellState State;

    /// <summary>The simulated time of the message being handled (per cell, so parallel workers do not share it).</summary>
    public long LocalNow;

    /// <summary>This cell's send counter: the third ordering key.</summary>
    public long SendSequence;

    /// <summary>The exception of the last failed delivery.</summary>
    public Exception? FailureException;

    // Parallel dispatcher bookkeeping, touched only by the dispatcher's coordinating thread
    // and by the one worker processing this cell.
    public long BatchMark;
    public List<int>? BatchSlots;
    public List<Envelope>? CellOutbox;

    public IActorRef Self => SelfRef;

    public IActorRef Sender => _sender ?? SystemImpl.Nobody;

    public IActorRef Parent => ParentCell?.SelfRef ?? SystemImpl.Nobody;

    public ActorSystem System => SystemImpl;

    public long Now => LocalNow;

    public long QuantumEnd => SystemImpl.CurrentQuantumEnd;

    public TimerScheduler Timers => _timers ??= new TimerScheduler(this);

    public IReadOnlyList<IActorRef> Children
    {
        get
        {
            lock (_childrenLock)
            {
                if (_children is null)
                {
                    return [];
                }

                var result = new IActorRef[_children.Count];
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = _children[i].SelfRef;
                }

                return result;
            }
        }
    }

    public static ActorCell? TakeConstructing()
    {
        var cell = t_constructing;
        t_constructing = null;
        return cell;
    }

    public IActorRef ActorOf(Props props, string? name = null) => SystemImpl.Spawn(this, props, name).SelfRef;

    public IActorRef? Child(string name) => FindChild(name)?.SelfRef;

    public void Stop(IActorRef actor)
    {
        var cell = ActorSystem.CellOf(actor);
        if (ReferenceEquals(cell, this) && State == CellState.Running)
        {
            State = CellState.Stopping;
        }

        SystemImpl.RequestCellStop(cell);
    }

    public void Watch(IActorRef actor)
    {
        var cell = ActorSystem.CellOf(actor);
        if (!cell.AddWatcher(this))
        {
            SystemImpl.Enqueue(cell, this, new Terminated(cell.SelfRef), cell.SelfRef, LocalNow + SystemImpl.DefaultLatency);
        }
    }

    public void Unwatch(IActorRef actor)
    {
        var cell = ActorSystem.CellOf(actor);
        lock (cell._childrenLock)
        {
            cell._watchers?.Remove(this);
        }
    }

    public void ScheduleTell(long delay, IActorRef target, object message, IActorRef? sender = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        SystemImpl.Enqueue(this, ActorSystem.CellOf(target), message, sender ?? SelfRef, LocalNow + delay);
    }

    public void TellAt(long time, IActorRef target, object message, IActorRef? sender = null) =>
        SystemImpl.Enqueue(this, ActorSystem.CellOf(target), message, sender ?? SelfRef, time);

    public void MarkUnhandled() => _unhandled = true;

    /// <summary>Creates the actor and runs PreStart; a failure is reported and leaves the cell stopped.</summary>
    public void Start()
    {
        var previous = t_current;
        var previousConstructing = t_constructing;
        LocalNow = previous is not null && ReferenceEquals(previous.SystemImpl, SystemImpl) ? previous.LocalNow : SystemImpl.Now;
        t_constructing = this;
        t_current = this;
        try
        {
            var actor = Props.Factory();
            if (!ReferenceEquals(actor.Cell, this))
            {
                throw new InvalidOperationException($"The factory of {Props} must create a new actor instance each time it is called.");
            }

            actor.SealBehavior();
            ActorInstance = actor;
            actor.CallPreStart();
        }
        catch (Exception ex)
        {
            State = CellState.Stopped;
            ActorInstance = null;
            ParentCell?.RemoveChild(this);
            SystemImpl.ReportFailure(new ActorFailure(Path, null, ex, LocalNow, "starting"));
        }
        finally
        {
            t_constructing = previousConstructing;
            t_current = previous;
        }
    }

    /// <summary>Runs the handlers for one envelope; never throws.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DeliveryOutcome Deliver(ref Envelope envelope)
    {
        if (State != CellState.Running)
        {
            return envelope.Message is TimerFire ? DeliveryOutcome.Dropped : DeliveryOutcome.RecipientStopped;
        }

        var actor = ActorInstance!;
        var message = envelope.Message;
        var previous = t_current;
        t_current = this;
        LocalNow = envelope.Due;
        _sender = envelope.Sender;
        _unhandled = false;
        try
        {
            if (message is TimerFire fire)
            {
                if (_timers is null || !_timers.TryAccept(fire))
                {
                    return DeliveryOutcome.Dropped;
                }

                if (fire.Interval > 0)
                {
                    SystemImpl.Enqueue(this, this, fire, SelfRef, envelope.Due + fire.Interval);
                }

                message = fire.Message;
            }

            var handlers = actor.Handlers;
            var handled = false;
            for (var i = 0; i < handlers.Length; i++)
            {
                if (handlers[i].TryHandle(message))
                {
                    handled = true;
                    break;
                }
            }

            if (!handled)
            {
                actor.CallUnhandled(message);
            }

            return _unhandled ? DeliveryOutcome.Unhandled : DeliveryOutcome.Delivered;
        }
        catch (Exception ex)
        {
            FailureException = ex;
            return DeliveryOutcome.Failed;
        }
        finally
        {
            t_current = previous;
            _sender = null;
        }
    }

    /// <summary>Stops children, cancels timers, runs PostStop and tells watchers. Single-threaded (barrier or outside a run).</summary>
    public void StopNow()
    {
        if (State == CellState.Stopped)
        {
            return;
        }

        State = CellState.Stopping;
        ActorCell[] children;
        lock (_childrenLock)
        {
            children = _children is null ? [] : _children.ToArray();
        }

        foreach (var child in children)
        {
            child.StopNow();
        }

        _timers?.CancelAll();
        var previous = t_current;
        t_current = this;
        LocalNow = Math.Max(LocalNow, SystemImpl.Now);
        _sender = null;
        try
        {
            ActorInstance?.CallPostStop();
        }
        catch (Exception ex)
        {
            SystemImpl.ReportFailure(new ActorFailure(Path, null, ex, LocalNow, "stopping"));
        }
        finally
        {
            t_current = previous;
        }

        ActorCell[] watchers;
        lock (_childrenLock)
        {
            State = CellState.Stopped;
            watchers = _watchers is null ? [] : _watchers.ToArray();
            _watchers = null;
        }

        foreach (var watcher in watchers)
        {
            SystemImpl.Enqueue(this, watcher, new Terminated(SelfRef), SelfRef, LocalNow + SystemImpl.DefaultLatency);
        }

        ParentCell?.RemoveChild(this);
        ActorInstance = null;
    }

    public ActorCell? FindChild(string name)
    {
        lock (_childrenLock)
        {
            if (_children is null)
            {
                return null;
            }

            foreach (var child in _children)
            {
                if (child.Name == name && child.State != CellState.Stopped)
                {
                    return child;
                }
            }

            return null;
        }
    }

    /// <summary>Registers a new child under a unique name; throws when a running sibling has the name.</summary>
    public void AddChild(ActorCell child)
    {
        lock (_childrenLock)
        {
            _children ??= [];
            foreach (var existing in _children)
            {
                if (existing.Name == child.Name && existing.State != CellState.Stopped)
                {
                    throw new ArgumentException($"An actor named '{child.Name}' already exists under {Path}.", nameof(child));
                }
            }

            _children.Add(child);
        }
    }

    public void RemoveChild(ActorCell child)
    {
        lock (_childrenLock)
        {
            _children?.Remove(child);
        }
    }

    public override string ToString() => Path;

    private bool AddWatcher(ActorCell watcher)
    {
        lock (_childrenLock)
        {
            if (State == CellState.Stopped)
            {
                return false;
            }

            _watchers ??= [];
            if (!_watchers.Contains(watcher))
            {
                _watchers.Add(watcher);
            }

            return true;
        }
    }
}
