using System.Runtime.CompilerServices;
using Akka.Actor;

namespace Smp.Actors.Internal;

/// <summary>
/// A simulated actor's registration with its conductor: identity (sender id, path), its Akka reference,
/// its local simulated time and send counter, the outbox its sends wait in until the conductor takes them,
/// and its children, watchers and timers. It is the actor's <see cref="ISimContext"/>.
/// </summary>
internal sealed class SimCell : ISimContext
{
    [ThreadStatic]
    private static SimCell? t_current;

    [ThreadStatic]
    private static SimCell? t_constructing;

    private readonly Lock _gate = new();
    private List<SimCell>? _children;
    private List<SimCell>? _watchers;
    private SimTimers? _timers;
    private bool _unhandled;
    private bool _suspend;
    private bool _suspendedPending;

    public SimCell(Conductor conductor, SimCell? parent, int id)
    {
        Conductor = conductor;
        Parent = parent;
        Id = id;
    }

    /// <summary>The cell whose handler runs on this thread, if any.</summary>
    public static SimCell? Current => t_current;

    public Conductor Conductor { get; }

    public SimCell? Parent { get; }

    /// <summary>The sender id used for ordering: assigned at spawn, in spawn order.</summary>
    public int Id { get; }

    /// <summary>The Akka reference (set once Akka created the actor).</summary>
    public IActorRef Ref { get; set; } = ActorRefs.Nobody;

    public string Path { get; set; } = string.Empty;

    public SimActor? Actor { get; set; }

    public volatile CellState State;

    /// <summary>True once the conductor asked Akka to stop the actor (a stop without it is a failure).</summary>
    public bool StopRequested;

    /// <summary>True after a handler threw: later envelopes of the same batch are not run.</summary>
    public bool Failed;

    /// <summary>The simulated time of the message being handled (per cell, so parallel actors do not share it).</summary>
    public long LocalNow;

    /// <summary>This cell's send counter: the third ordering key.</summary>
    public long SendSequence;

    /// <summary>Sends made by the actor, waiting for the conductor (taken at the acknowledgement or the barrier).</summary>
    public List<Envelope> Outbox { get; } = [];

    public Simulation Simulation => Conductor.Simulation;

    public long Now => LocalNow;

    public long QuantumEnd => Conductor.QuantumEnd;

    public SimTimers Timers => _timers ??= new SimTimers(this);

    public static SimCell? TakeConstructing()
    {
        var cell = t_constructing;
        t_constructing = null;
        return cell;
    }

    /// <summary>Marks <paramref name="cell"/> as being constructed on this thread (its constructor may spawn children and send); returns the previous current cell.</summary>
    public static SimCell? BeginConstructing(SimCell cell)
    {
        t_constructing = cell;
        var previous = t_current;
        t_current = cell;
        return previous;
    }

    public static void EndConstructing(SimCell? previous)
    {
        t_constructing = null;
        t_current = previous;
    }

    public void Tell(IActorRef target, object message, IActorRef? sender = null) =>
        Send(target, message, sender, LocalNow + Conductor.DefaultLatency);

    public void ScheduleTell(long delay, IActorRef target, object message, IActorRef? sender = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        Send(target, message, sender, LocalNow + delay);
    }

    public void TellAt(long time, IActorRef target, object message, IActorRef? sender = null) => Send(target, message, sender, time);

    public IActorRef ActorOf(Props props, string? name = null) => Conductor.SpawnChild(this, props, name);

    public void Stop(IActorRef actor)
    {
        var cell = Conductor.CellOf(actor) ?? throw new ArgumentException($"{actor.Path} is not an actor of this simulation.", nameof(actor));
        if (ReferenceEquals(cell, this) && State == CellState.Running)
        {
            State = CellState.Stopping;
        }

        Conductor.RequestCellStop(cell);
    }

    public void Watch(IActorRef actor)
    {
        var cell = Conductor.CellOf(actor) ?? throw new ArgumentException($"{actor.Path} is not an actor of this simulation.", nameof(actor));
        if (!cell.AddWatcher(this))
        {
            Send(cell.Ref, new Terminated(cell.Ref, existenceConfirmed: true, addressTerminated: false), cell.Ref, LocalNow + Conductor.DefaultLatency);
        }
    }

    public void Unwatch(IActorRef actor)
    {
        var cell = Conductor.CellOf(actor);
        if (cell is null)
        {
            return;
        }

        lock (cell._gate)
        {
            cell._watchers?.Remove(this);
        }
    }

    public void RequestStop() => Conductor.RequestStop();

    public void SuspendDelivery()
    {
        if (t_current != this)
        {
            throw new InvalidOperationException("Sim.SuspendDelivery can only be called from the actor's own handler.");
        }

        _suspend = true;
    }

    /// <summary>Stamps a send with this actor's id and sequence and keeps it in the outbox (clamped to the quantum end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Send(IActorRef target, object message, IActorRef? sender, long due)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (message is null)
        {
            ThrowNullMessage();
        }

        var quantumEnd = Conductor.QuantumEnd;
        if (due < quantumEnd)
        {
            due = quantumEnd;
        }

        if (due < LocalNow)
        {
            due = LocalNow;
        }

        Envelope envelope;
        envelope.Due = due;
        envelope.SenderId = Id;
        envelope.Sequence = ++SendSequence;
        envelope.Target = ReferenceEquals(target, Ref) ? this : Conductor.CellOf(target);
        envelope.TargetRef = target;
        envelope.Message = message;
        envelope.Sender = sender ?? Ref;
        Outbox.Add(envelope);
    }

    public bool TryContinue(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (t_current != this)
        {
            throw new InvalidOperationException("Sim.TryContinue can only be called from the actor's own handler.");
        }

        return !_suspend && !_unhandled && Conductor.TryContinue(this, message);
    }

    public long ContinuationHorizon()
    {
        if (t_current != this)
        {
            throw new InvalidOperationException("Sim.ContinuationHorizon can only be called from the actor's own handler.");
        }

        return _suspend || _unhandled ? long.MinValue : Conductor.ContinuationHorizon(this);
    }

    public void MarkUnhandled() => _unhandled = true;

    public void CancelTimers() => _timers?.CancelAll();

    /// <summary>Runs one delivery on the actor's thread and acknowledges it to the conductor; never throws.</summary>
    public void Handle(Delivery delivery, Receive receive, SimActor actor)
    {
        if (State != CellState.Running || Failed)
        {
            delivery.Outcome = Failed ? DeliveryOutcome.NotRun : delivery.Message is TimerFire ? DeliveryOutcome.Dropped : DeliveryOutcome.RecipientStopped;
            Conductor.Acknowledge(delivery);
            return;
        }

        if (_suspendedPending && !delivery.Resumed)
        {
            // An earlier delivery of this batch is suspended: this one waits for its continuation (parallel mode).
            delivery.Outcome = DeliveryOutcome.Deferred;
            Conductor.Acknowledge(delivery);
            return;
        }

        var previous = t_current;
        t_current = this;
        LocalNow = delivery.Due;
        _unhandled = false;
        _suspend = false;
        try
        {
            if (delivery.Resumed)
            {
                actor.ResumeDelivery();
                delivery.Outcome = _suspend ? DeliveryOutcome.Suspended : DeliveryOutcome.Delivered;
                return;
            }

            var message = delivery.Message;
            if (message is TimerFire fire)
            {
                if (_timers is null || !_timers.TryAccept(fire))
                {
                    delivery.Outcome = DeliveryOutcome.Dropped;
                    return;
                }

                if (fire.Interval > 0)
                {
                    Send(Ref, fire, Ref, delivery.Due + fire.Interval);
                }

                message = fire.Message;
            }

            if (delivery.Fault is { } fault)
            {
                throw fault.CreateException(message);
            }

            actor.BaseReceive(receive, message);
            delivery.Outcome = _suspend ? DeliveryOutcome.Suspended : _unhandled ? DeliveryOutcome.Unhandled : DeliveryOutcome.Delivered;
        }
        catch (Exception ex)
        {
            // Caught where the message is known; the conductor reports it and ends the run, and the actor stops.
            Failed = true;
            delivery.Outcome = DeliveryOutcome.Failed;
            delivery.Exception = ex;
        }
        finally
        {
            t_current = previous;
            _suspendedPending = delivery.Outcome == DeliveryOutcome.Suspended;
            Conductor.Acknowledge(delivery);
        }
    }

    /// <summary>Runs the actor's PreStart in simulated time (sends are stamped) and tells the conductor it started.</summary>
    public void RunPreStart(SimActor actor) => Conductor.ReportStarted(this, RunHook(actor.BasePreStart));

    /// <summary>Cancels the timers, runs PostStop in simulated time and tells the conductor the actor stopped.</summary>
    public void RunPostStop(SimActor actor)
    {
        _timers?.CancelAll();
        Conductor.ReportStopped(this, RunHook(actor.BasePostStop));
    }

    public void ReportStray(object message) => Conductor.ReportStray(this, message);

    public void AddChild(SimCell child)
    {
        lock (_gate)
        {
            (_children ??= []).Add(child);
        }
    }

    public void RemoveChild(SimCell child)
    {
        lock (_gate)
        {
            _children?.Remove(child);
        }
    }

    /// <summary>This cell and every live descendant, parents before children.</summary>
    public void CollectSubtree(List<SimCell> into)
    {
        into.Add(this);
        SimCell[] children;
        lock (_gate)
        {
            children = _children is null ? [] : [.. _children];
        }

        foreach (var child in children)
        {
            child.CollectSubtree(into);
        }
    }

    /// <summary>Marks the cell stopped and returns its watchers (each is told once).</summary>
    public SimCell[] MarkStopped()
    {
        lock (_gate)
        {
            State = CellState.Stopped;
            var watchers = _watchers is null ? [] : _watchers.ToArray();
            _watchers = null;
            return watchers;
        }
    }

    public override string ToString() => Path;

    // Runs a lifecycle hook as this actor (its sends are stamped); returns what it threw, if anything.
    private Exception? RunHook(Action hook)
    {
        var previous = t_current;
        t_current = this;
        try
        {
            hook();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
        finally
        {
            t_current = previous;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNullMessage() => throw new ArgumentNullException("message", "Messages cannot be null.");

    private bool AddWatcher(SimCell watcher)
    {
        lock (_gate)
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
