using System.Collections.Concurrent;
using Akka.Actor;

namespace Smp.Actors.Internal;

/// <summary>
/// The conductor of one simulation: it owns the queue of timed envelopes ordered by (due time, sender id,
/// sequence) and hands them to the simulated actors quantum by quantum (one at a time in deterministic mode,
/// all of a quantum at once behind a barrier in parallel mode), taking back each actor's sends with its
/// acknowledgement. It lives inside <see cref="ConductorActor"/> and runs only on that actor's thread; the
/// host reads its state between runs (a run's completion orders those reads after the run's writes).
/// </summary>
internal sealed partial class Conductor
{
    [ThreadStatic]
    private static Conductor? t_running;

    private readonly EnvelopeQueue _queue = new();
    private readonly ConcurrentDictionary<IActorRef, SimCell> _cells = new();
    private readonly List<SimCell> _pendingStops = [];
    private readonly List<DeadLetter> _deadLetters = [];
    private readonly List<Action> _hostWaiters = [];
    private readonly IMessageRecorder? _recorder;
    private readonly FaultInjection? _fault;
    private readonly long _quantum;
    private int _nextId;
    private int _pendingLifecycle;
    private long _externalSequence;
    private volatile bool _stopRequested;
    private volatile bool _pauseRequested;
    private volatile bool _hasPendingStops;

    public Conductor(Simulation simulation, SimulationOptions options, string dispatcher)
    {
        Simulation = simulation;
        _quantum = options.Quantum;
        DefaultLatency = options.DefaultLatency;
        _recorder = options.Recorder;
        _fault = options.FaultInjection;
        Parallel = options.Mode == SimulationMode.Parallel;
        Dispatcher = dispatcher;
    }

    public event Action<DeadLetter>? DeadLetterRecorded;

    public event Action<ActorFailure>? Failed;

    public Simulation Simulation { get; }

    /// <summary>The conductor actor (set once it exists).</summary>
    public IActorRef Self { get; set; } = ActorRefs.Nobody;

    public string Dispatcher { get; }

    public bool Parallel { get; }

    public long DefaultLatency { get; }

    public long Quantum => _quantum;

    public long Now { get; private set; }

    /// <summary>The end of the quantum being delivered (0 between quanta): sends are never due before it.</summary>
    public long QuantumEnd { get; private set; }

    public long QuantaProcessed { get; private set; }

    public long MessagesDelivered { get; private set; }

    public int QueueCount => _queue.Count;

    public long? NextDueTime => _queue.Count == 0 ? null : _queue.Peek().Due;

    public IReadOnlyList<DeadLetter> DeadLetters => _deadLetters;

    public ActorFailure? Failure { get; private set; }

    public bool Running => _run is not null;

    /// <summary>True on the thread of a conductor that is handling a message (where host-side sends are allowed during a run).</summary>
    public bool OnConductorThread => ReferenceEquals(t_running, this);

    public SimCell? CellOf(IActorRef actor) => _cells.TryGetValue(actor, out var cell) ? cell : null;

    public IEnumerable<SimCell> Cells => _cells.Values;

    /// <summary>Marks the current thread as running this conductor (the actor wraps each message in it).</summary>
    public void Enter() => t_running = this;

    public void Leave() => t_running = null;

    /// <summary>A send from outside any actor (the host, a test, a device callback between runs): sender id 0, due no earlier than now.</summary>
    public void PostExternal(IActorRef target, object message, IActorRef? sender, long due)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        if (Running && !OnConductorThread)
        {
            throw new InvalidOperationException(
                "A message was sent into the simulation from outside its actors while it runs; send from an actor with Sim.Tell, or between runs.");
        }

        Envelope envelope;
        envelope.Due = due < Now ? Now : due;
        envelope.SenderId = 0;
        envelope.Sequence = ++_externalSequence;
        envelope.Target = CellOf(target);
        envelope.TargetRef = target;
        envelope.Message = message;
        envelope.Sender = sender;
        _queue.Push(in envelope);
    }

    /// <summary>Registers and creates a top-level actor (a child of the conductor actor); on the conductor's thread.</summary>
    public void SpawnTop(IActorContext context, SpawnRequest request)
    {
        var cell = new SimCell(this, null, Interlocked.Increment(ref _nextId)) { LocalNow = Now };
        Interlocked.Increment(ref _pendingLifecycle);
        IActorRef actor;
        try
        {
            actor = request.Name is null ? context.ActorOf(Wrap(request.Props, cell)) : context.ActorOf(Wrap(request.Props, cell), request.Name);
        }
        catch (Exception ex)
        {
            Interlocked.Decrement(ref _pendingLifecycle);
            request.Done.SetException(new ArgumentException(ex.Message, nameof(request), ex));
            return;
        }

        Bind(cell, actor);
        WhenQuiescent(() => request.Done.TrySetResult(actor));
    }

    /// <summary>A stop asked for by the host between runs: done once every PostStop of the subtree has run.</summary>
    public void StopFromHost(StopRequest request)
    {
        ApplyStop(request.Cell);
        WhenQuiescent(() => request.Done.TrySetResult(true));
    }

    /// <summary>Registers and creates a child of a simulated actor; on that actor's thread, inside its handler.</summary>
    public IActorRef SpawnChild(SimCell parent, Props props, string? name)
    {
        ArgumentNullException.ThrowIfNull(props);
        var context = parent.Actor?.AkkaContext;
        if (context is null || SimCell.Current != parent)
        {
            throw new InvalidOperationException("Sim.ActorOf can only be called from the actor's own handlers, PreStart or PostStop.");
        }

        var cell = new SimCell(this, parent, Interlocked.Increment(ref _nextId)) { LocalNow = parent.LocalNow };
        Interlocked.Increment(ref _pendingLifecycle);
        IActorRef actor;
        try
        {
            actor = name is null ? context.ActorOf(Wrap(props, cell)) : context.ActorOf(Wrap(props, cell), name);
        }
        catch
        {
            Interlocked.Decrement(ref _pendingLifecycle);
            throw;
        }

        Bind(cell, actor);
        parent.AddChild(cell);
        return actor;
    }

    /// <summary>A stop asked for by an actor: applied at the end of the quantum, in id order.</summary>
    public void RequestCellStop(SimCell cell)
    {
        lock (_pendingStops)
        {
            _pendingStops.Add(cell);
            _hasPendingStops = true;
        }
    }

    /// <summary>Stops a cell and its live descendants through Akka; the run waits for their PostStop.</summary>
    public void ApplyStop(SimCell cell)
    {
        if (cell.StopRequested || cell.State == CellState.Stopped)
        {
            return;
        }

        var subtree = new List<SimCell>();
        cell.CollectSubtree(subtree);
        foreach (var c in subtree)
        {
            if (c.StopRequested || c.State == CellState.Stopped)
            {
                continue;
            }

            c.StopRequested = true;
            c.State = CellState.Stopping;
            c.LocalNow = Math.Max(c.LocalNow, Now);
            Interlocked.Increment(ref _pendingLifecycle);
        }

        Simulation.System.Stop(cell.Ref);
    }

    public void RequestStop() => _stopRequested = true;

    /// <summary>Any thread: the run (the current one, or the next) pauses before its next envelope.</summary>
    public void RequestPause() => _pauseRequested = true;

    public void Acknowledge(Delivery delivery) => Self.Tell(delivery, ActorRefs.NoSender);

    public void ReportStarted(SimCell cell, Exception? failure) => Self.Tell(new Started(cell, failure), ActorRefs.NoSender);

    public void ReportStopped(SimCell cell, Exception? failure) => Self.Tell(new Stopped(cell, failure), ActorRefs.NoSender);

    public void ReportStray(SimCell cell, object message) => Self.Tell(new Stray(cell, message), ActorRefs.NoSender);

    /// <summary>An actor started (or its constructor threw): take its PreStart sends, release the spawner.</summary>
    public void OnStarted(Started started)
    {
        var cell = started.Cell;
        if (cell.State == CellState.Stopped)
        {
            return;
        }

        DrainOutbox(cell);
        if (started.Failure is not null)
        {
            // Stopped, never restarted: the instance (if the constructor got that far) is discarded.
            cell.MarkStopped();
            Simulation.System.Stop(cell.Ref);
            cell.Parent?.RemoveChild(cell);
            ReportFailure(new ActorFailure(PathOf(cell), null, started.Failure, cell.LocalNow, "starting"));
        }

        Interlocked.Decrement(ref _pendingLifecycle);
        Pump();
        ReleaseHostWaiters();
    }

    /// <summary>An actor stopped: take its PostStop sends, tell its watchers in simulated time.</summary>
    public void OnStopped(Stopped stopped)
    {
        var cell = stopped.Cell;
        if (cell.State == CellState.Stopped)
        {
            return;
        }

        DrainOutbox(cell);
        bool expected = cell.StopRequested || cell.Failed;
        foreach (var watcher in cell.MarkStopped())
        {
            Envelope envelope;
            envelope.Due = cell.LocalNow + DefaultLatency;
            envelope.SenderId = cell.Id;
            envelope.Sequence = ++cell.SendSequence;
            envelope.Target = watcher;
            envelope.TargetRef = watcher.Ref;
            envelope.Message = new Terminated(cell.Ref, existenceConfirmed: true, addressTerminated: false);
            envelope.Sender = cell.Ref;
            _queue.Push(in envelope);
        }

        cell.Parent?.RemoveChild(cell); // the cell stays registered, so paths of late messages stay simulation-relative
        if (stopped.Failure is not null)
        {
            ReportFailure(new ActorFailure(PathOf(cell), null, stopped.Failure, cell.LocalNow, "stopping"));
        }
        else if (!expected && Failure is null)
        {
            ReportFailure(new ActorFailure(PathOf(cell), null,
                new InvalidOperationException("the actor was stopped by Akka outside the simulation"), cell.LocalNow, "running"));

            // Envelopes handed to it are lost with its mailbox: end the run now rather than wait for their acknowledgements.
            AbandonBatch();
        }

        if (cell.StopRequested)
        {
            Interlocked.Decrement(ref _pendingLifecycle);
        }

        Pump();
        ReleaseHostWaiters();
    }

    /// <summary>A message reached an actor through plain Akka: it would break determinism, so the run fails.</summary>
    public void OnStray(Stray stray)
    {
        ReportFailure(new ActorFailure(PathOf(stray.Cell), stray.Message,
            new InvalidOperationException("the message arrived through Akka's Tell, outside simulated time; send with Sim.Tell or Simulation.Tell"),
            Now, "receiving"));
        Pump();
    }

    public void ReportFailure(ActorFailure failure)
    {
        if (Failure is not null)
        {
            return;
        }

        Failure = failure;
        Failed?.Invoke(failure);
    }

    /// <summary>The full Akka path of a cell without the address, for failure reports.</summary>
    public static string PathOf(SimCell cell) => cell.Ref.Path.ToStringWithoutAddress();

    /// <summary>Takes an actor's sends into the queue (the queue's order does not depend on insertion order).</summary>
    public void DrainOutbox(SimCell cell)
    {
        var outbox = cell.Outbox;
        for (int i = 0; i < outbox.Count; i++)
        {
            _queue.Push(outbox[i]);
        }

        outbox.Clear();
    }

    /// <summary>Back to a quiescent state at <paramref name="time"/> (between runs): nothing pending, no timers, no stop request.</summary>
    public void Rewind(long time)
    {
        _queue.Clear();
        Now = time;
        _stopRequested = false;
        _pauseRequested = false;
        ForgetPause();
        foreach (var cell in _cells.Values)
        {
            cell.LocalNow = time;
            cell.CancelTimers();
        }
    }

    public void SetNowAfterRun(long time)
    {
        if (Now < time)
        {
            Now = time;
        }
    }

    private void WhenQuiescent(Action release)
    {
        _hostWaiters.Add(release);
        ReleaseHostWaiters();
    }

    // Host calls (spawn, stop) return once every start and stop they caused has finished: after them the conductor is idle.
    private void ReleaseHostWaiters()
    {
        if (_hostWaiters.Count == 0 || Volatile.Read(ref _pendingLifecycle) != 0 || _run is not null)
        {
            return;
        }

        var waiters = _hostWaiters.ToArray();
        _hostWaiters.Clear();
        foreach (var release in waiters)
        {
            release();
        }
    }

    private Props Wrap(Props props, SimCell cell) => Props.CreateBy(new SimActorProducer(props, cell)).WithDispatcher(Dispatcher);

    private void Bind(SimCell cell, IActorRef actor)
    {
        cell.Ref = actor;
        cell.Path = cell.Parent is null ? "/" + actor.Path.Name : cell.Parent.Path + "/" + actor.Path.Name;
        _cells[actor] = cell;
    }
}
