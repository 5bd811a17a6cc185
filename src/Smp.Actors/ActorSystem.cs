using System.Globalization;
using System.Runtime.CompilerServices;
using Smp.Actors.Internal;

namespace Smp.Actors;

/// <summary>
/// A world of actors sharing one simulated clock. Messages are delivered strictly in
/// (due time, sender id, sequence) order, in quanta: a message sent during the quantum
/// [t, t + q) is never delivered before t + q, and when nothing is due the clock jumps to
/// the next due message. Drive it with <see cref="Run"/>, <see cref="RunUntil"/>,
/// <see cref="RunUntilIdle"/>, <see cref="AdvanceBy"/> or <see cref="Step"/>, from one thread.
/// </summary>
/// <remarks>
/// Sender ids are assigned at spawn in spawn order (1, 2, ...); sends from outside the system
/// have sender id 0. An exception in an actor is reported as an <see cref="ActorFailure"/> and
/// stops the run. Messages that cannot be handled are kept as <see cref="DeadLetters"/>.
/// </remarks>
public sealed class ActorSystem : IDisposable
{
    private readonly EnvelopeQueue _queue = new();
    private readonly Dispatcher _dispatcher;
    private readonly IMessageRecorder? _recorder;
    private readonly long _quantum;
    private readonly ActorCell _userGuardian;
    private readonly ActorCell _systemGuardian;
    private readonly ActorCell _tempGuardian;
    private readonly ActorCell _nobody;
    private readonly List<DeadLetter> _deadLetters = [];
    private readonly List<ActorCell> _pendingStops = [];
    private readonly object _failureLock = new();
    private long _now;
    private long _quantumEnd;
    private long _externalSequence;
    private int _nextActorId;
    private long _autoNameCounter;
    private ActorFailure? _failure;
    private bool _running;
    private bool _stopRequested;
    private bool _disposed;
    private volatile bool _hasPendingStops;

    /// <summary>Creates a system with the given options (deterministic dispatcher, 1 µs quantum, no latency by default).</summary>
    /// <param name="name">The system's name, for diagnostics.</param>
    /// <param name="options">Scheduling options; defaults when null.</param>
    public ActorSystem(string name = "smp", ActorSystemOptions? options = null)
    {
        Name = name;
        Options = options ?? new ActorSystemOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.Quantum, "options.Quantum");
        ArgumentOutOfRangeException.ThrowIfNegative(Options.DefaultLatency, "options.DefaultLatency");
        _quantum = Options.Quantum;
        DefaultLatency = Options.DefaultLatency;
        _recorder = Options.Recorder;
        _dispatcher = Options.Dispatcher ?? new DeterministicDispatcher();
        _dispatcher.Attach(this);

        var guardianProps = Props.Create(static () => new GuardianActor());
        _userGuardian = CreateGuardian("user", guardianProps);
        _systemGuardian = CreateGuardian("system", guardianProps);
        _tempGuardian = CreateGuardian("temp", guardianProps);
        _nobody = new ActorCell(this, null, "deadLetters", 0, guardianProps) { State = CellState.Stopped };
    }

    /// <summary>Raised when a message becomes a dead letter (on the thread that drives the system).</summary>
    public event Action<DeadLetter>? DeadLetterRecorded;

    /// <summary>Raised once, when the first actor failure is reported; the run then stops.</summary>
    public event Action<ActorFailure>? Failed;

    /// <summary>The system's name.</summary>
    public string Name { get; }

    /// <summary>The options the system was created with.</summary>
    public ActorSystemOptions Options { get; }

    /// <summary>
    /// The current simulated time in nanoseconds: the due time of the message being (or last)
    /// delivered, or the limit a <see cref="RunUntil"/> advanced to. Inside handlers prefer
    /// <see cref="IActorContext.Now"/>, which is exact under the parallel dispatcher too.
    /// </summary>
    public long Now => _now;

    /// <summary>The scheduling quantum in nanoseconds.</summary>
    public long Quantum => _quantum;

    /// <summary>The latency added to <see cref="IActorRef.Tell"/> from inside an actor, in nanoseconds.</summary>
    public long DefaultLatency { get; }

    /// <summary>The dispatcher that runs each quantum.</summary>
    public Dispatcher Dispatcher => _dispatcher;

    /// <summary>How many quanta (scheduler steps) have been run; idle time jumps cost none.</summary>
    public long QuantaProcessed { get; private set; }

    /// <summary>How many messages have been delivered to actors' handlers.</summary>
    public long MessagesDelivered { get; private set; }

    /// <summary>Whether no message is pending.</summary>
    public bool IsIdle => _queue.Count == 0;

    /// <summary>The due time of the next pending message, or null when idle.</summary>
    public long? NextDueTime => _queue.Count == 0 ? null : _queue.Peek().Due;

    /// <summary>
    /// The reference that stands for "no actor": replies to a message without sender go here,
    /// and everything told to it becomes a dead letter (<see cref="DeadLetterReason.NoRecipient"/>).
    /// </summary>
    public IActorRef Nobody => _nobody.SelfRef;

    /// <summary>Every message that could not be handled, in the order it came due.</summary>
    public IReadOnlyList<DeadLetter> DeadLetters => _deadLetters;

    /// <summary>The first actor failure, or null. Once set, nothing more is delivered.</summary>
    public ActorFailure? Failure => _failure;

    internal EnvelopeQueue Queue => _queue;

    internal long CurrentQuantumEnd => _quantumEnd;

    /// <summary>Creates and starts a top-level actor under <c>/user</c>.</summary>
    /// <param name="props">The recipe of the actor.</param>
    /// <param name="name">The name (unique under <c>/user</c>); a name like <c>$1</c> is chosen when null.</param>
    /// <returns>The actor's reference, for example with path <c>/user/cpu0</c>.</returns>
    public IActorRef ActorOf(Props props, string? name = null) => Spawn(_userGuardian, props, name).SelfRef;

    /// <summary>Creates and starts a top-level actor of a type with a parameterless constructor.</summary>
    /// <typeparam name="T">The actor type.</typeparam>
    /// <param name="name">The name; a name like <c>$1</c> is chosen when null.</param>
    /// <returns>The actor's reference.</returns>
    public IActorRef ActorOf<T>(string? name = null)
        where T : Actor, new() => ActorOf(Props.Create<T>(), name);

    /// <summary>Finds a running actor by its full path, for example <c>/user/board/cpu0</c>.</summary>
    /// <param name="path">The actor's path.</param>
    /// <returns>The actor, or null when no running actor has that path.</returns>
    public IActorRef? TryGetActor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return null;
        }

        ActorCell? cell = segments[0] switch
        {
            "user" => _userGuardian,
            "system" => _systemGuardian,
            "temp" => _tempGuardian,
            _ => null,
        };
        for (var i = 1; i < segments.Length && cell is not null; i++)
        {
            cell = cell.FindChild(segments[i]);
        }

        return cell is null || cell.State == CellState.Stopped ? null : cell.SelfRef;
    }

    /// <summary>
    /// Stops an actor and its children now (from outside the system; inside actors use
    /// <see cref="IActorContext.Stop"/>). Their <see cref="Actor.PostStop"/> runs, and messages
    /// that come due for them afterwards become dead letters.
    /// </summary>
    /// <param name="actor">The actor to stop.</param>
    public void Stop(IActorRef actor)
    {
        var cell = CellOf(actor);
        if (_running)
        {
            RequestCellStop(cell);
        }
        else
        {
            cell.StopNow();
        }
    }

    /// <summary>
    /// Sends a message due <paramref name="delay"/> nanoseconds from now. From outside the system
    /// the sender id is 0; from inside an actor this is <see cref="IActorContext.ScheduleTell"/>.
    /// </summary>
    /// <param name="delay">The delay in nanoseconds.</param>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="sender">The sender the receiver sees, or null.</param>
    public void ScheduleTell(long delay, IActorRef target, object message, IActorRef? sender = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        var current = CurrentCellOfThisSystem();
        if (current is not null)
        {
            current.ScheduleTell(delay, target, message, sender);
        }
        else
        {
            Enqueue(null, CellOf(target), message, sender, _now + delay);
        }
    }

    /// <summary>Sends a message due at the absolute simulated <paramref name="time"/> (never in the past).</summary>
    /// <param name="time">The due time in nanoseconds.</param>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="sender">The sender the receiver sees, or null.</param>
    public void TellAt(long time, IActorRef target, object message, IActorRef? sender = null)
    {
        var current = CurrentCellOfThisSystem();
        if (current is not null)
        {
            current.TellAt(time, target, message, sender);
        }
        else
        {
            Enqueue(null, CellOf(target), message, sender, time);
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="target"/> and returns a task completed by
    /// the first reply (the target answers with <c>Sender.Tell(reply)</c>). The task fails with
    /// <see cref="AskTimeoutException"/> when no reply came within <paramref name="timeout"/> nanoseconds
    /// of simulated time. The task completes only while the system runs (for example in <see cref="RunUntilIdle"/>).
    /// </summary>
    /// <typeparam name="T">The expected reply type; another type fails the task with <see cref="InvalidCastException"/>.</typeparam>
    /// <param name="target">The actor to ask.</param>
    /// <param name="message">The question.</param>
    /// <param name="timeout">How long to wait, in simulated nanoseconds; must be positive.</param>
    /// <returns>The reply.</returns>
    public Task<T> Ask<T>(IActorRef target, object message, long timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeout);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var description = $"Ask of {target.Path} with {message}";
        var asker = Spawn(_tempGuardian, Props.Create(() => new AskActor<T>(completion, timeout, description)), null);
        target.Tell(message, asker.SelfRef);
        return completion.Task;
    }

    /// <summary>Runs until no message is pending, an actor fails or a stop is requested (the same as <see cref="RunUntilIdle"/>).</summary>
    /// <returns>Why the run returned.</returns>
    public RunResult Run() => RunUntilIdle();

    /// <summary>Runs until no message is pending, an actor fails or a stop is requested.</summary>
    /// <returns>Why the run returned.</returns>
    public RunResult RunUntilIdle() => RunCore(long.MaxValue, null);

    /// <summary>
    /// Delivers every message due at or before <paramref name="time"/>, then sets <see cref="Now"/> to
    /// <paramref name="time"/> (unless an actor failed or a stop was requested first).
    /// </summary>
    /// <param name="time">The simulated time to reach, in nanoseconds.</param>
    /// <returns>Why the run returned: <see cref="RunResult.Idle"/> or <see cref="RunResult.TimeLimitReached"/> when the time was reached.</returns>
    public RunResult RunUntil(long time) => RunUntilOrCondition(time, null);

    /// <summary>Runs for <paramref name="duration"/> nanoseconds of simulated time (see <see cref="RunUntil"/>).</summary>
    /// <param name="duration">How far to advance the clock.</param>
    /// <returns>Why the run returned.</returns>
    public RunResult AdvanceBy(long duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(duration);
        return RunUntil(_now + duration);
    }

    /// <summary>Runs exactly one quantum (the one holding the next due message), jumping over idle time.</summary>
    /// <returns>True when a quantum ran; false when the system was idle or had failed.</returns>
    public bool Step()
    {
        var before = QuantaProcessed;
        RunCore(long.MaxValue, static () => true);
        return QuantaProcessed != before;
    }

    /// <summary>
    /// Asks the running loop to return <see cref="RunResult.StopRequested"/> at the end of the current
    /// quantum (for example when the guest shuts the machine down). Pending messages stay queued.
    /// </summary>
    public void RequestStop() => _stopRequested = true;

    /// <summary>Stops every actor (running their <see cref="Actor.PostStop"/>) and drops pending messages.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _userGuardian.StopNow();
        _tempGuardian.StopNow();
        _systemGuardian.StopNow();
        _queue.Clear();
    }

    /// <summary>The system's name and time.</summary>
    /// <returns>For example <c>ActorSystem(smp, t=1 µs)</c>.</returns>
    public override string ToString() => $"ActorSystem({Name}, t={SimTime.Format(_now)})";

    internal static ActorCell CellOf(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor is IInternalActorRef local
            ? local.Cell
            : throw new ArgumentException($"{actor.Path} is not an actor of this runtime.", nameof(actor));
    }

    internal RunResult RunUntilOrCondition(long time, Func<bool>? stopWhen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(time);
        var limit = time == long.MaxValue ? long.MaxValue : time + 1;
        var result = RunCore(limit, stopWhen);
        if (result is RunResult.Idle or RunResult.TimeLimitReached && _now < time)
        {
            _now = time;
        }

        return result;
    }

    internal ActorCell Spawn(ActorCell parent, Props props, string? name)
    {
        ArgumentNullException.ThrowIfNull(props);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (name is null)
        {
            name = "$" + Interlocked.Increment(ref _autoNameCounter).ToString(CultureInfo.InvariantCulture);
        }
        else if (name.Length == 0 || name.Contains('/') || name.StartsWith('$'))
        {
            throw new ArgumentException($"'{name}' is not a valid actor name: it must be non-empty, without '/', and not start with '$'.", nameof(name));
        }

        if (parent.FindChild(name) is not null)
        {
            throw new ArgumentException($"An actor named '{name}' already exists under {parent.Path}.", nameof(name));
        }

        var cell = new ActorCell(this, parent, name, Interlocked.Increment(ref _nextActorId), props);
        parent.AddChild(cell);
        cell.Start();
        return cell;
    }

    /// <summary>Sends from the actor running on this thread, or from outside (sender id 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Post(ActorCell target, object message, IActorRef? sender)
    {
        var current = ActorCell.Current;
        if (current is not null && ReferenceEquals(current.SystemImpl, this))
        {
            Enqueue(current, target, message, sender ?? current.SelfRef, current.LocalNow + DefaultLatency);
        }
        else
        {
            Enqueue(null, target, message, sender, _now);
        }
    }

    /// <summary>
    /// Queues an envelope. Sends from an actor are clamped to the current quantum's end (the
    /// conservative rule) and numbered by that actor; during a parallel quantum they go to the
    /// worker's outbox and are merged at the barrier.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Enqueue(ActorCell? from, ActorCell target, object message, IActorRef? sender, long due)
    {
        if (message is null)
        {
            ThrowNullMessage();
        }

        Envelope envelope;
        envelope.Target = target;
        envelope.Message = message;
        envelope.Sender = sender;
        if (from is not null)
        {
            if (due < _quantumEnd)
            {
                due = _quantumEnd;
            }

            if (due < from.LocalNow)
            {
                due = from.LocalNow;
            }

            envelope.Due = due;
            envelope.SenderId = from.Id;
            envelope.Sequence = ++from.SendSequence;
            var outbox = ActorCell.Outbox;
            if (outbox is not null)
            {
                outbox.Add(envelope);
                return;
            }
        }
        else
        {
            envelope.Due = due < _now ? _now : due;
            envelope.SenderId = 0;
            envelope.Sequence = ++_externalSequence;
        }

        _queue.Push(in envelope);
    }

    internal void RequestCellStop(ActorCell cell)
    {
        if (!_running)
        {
            cell.StopNow();
            return;
        }

        lock (_pendingStops)
        {
            _pendingStops.Add(cell);
            _hasPendingStops = true;
        }
    }

    internal void ReportFailure(ActorFailure failure)
    {
        lock (_failureLock)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = failure;
        }

        Failed?.Invoke(failure);
    }

    /// <summary>Turns a delivery outcome into statistics, a log entry, a dead letter or a failure. Single-threaded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Emit(ref Envelope envelope, DeliveryOutcome outcome)
    {
        if (outcome == DeliveryOutcome.Delivered && _recorder is null)
        {
            MessagesDelivered++;
            return;
        }

        EmitSlow(ref envelope, outcome);
    }

    internal void SetNow(long now) => _now = now;

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowNullMessage() => throw new ArgumentNullException("message", "Messages cannot be null.");

    private static object Unwrap(object message) => message is TimerFire fire ? fire.Message : message;

    private void EmitSlow(ref Envelope envelope, DeliveryOutcome outcome)
    {
        switch (outcome)
        {
            case DeliveryOutcome.Delivered:
                MessagesDelivered++;
                _recorder?.Record(envelope.Due, envelope.Sender, envelope.Target.SelfRef, Unwrap(envelope.Message));
                break;
            case DeliveryOutcome.Unhandled:
                MessagesDelivered++;
                _recorder?.Record(envelope.Due, envelope.Sender, envelope.Target.SelfRef, Unwrap(envelope.Message));
                AddDeadLetter(ref envelope, DeadLetterReason.Unhandled);
                break;
            case DeliveryOutcome.RecipientStopped:
                AddDeadLetter(ref envelope, ReferenceEquals(envelope.Target, _nobody) ? DeadLetterReason.NoRecipient : DeadLetterReason.RecipientStopped);
                break;
            case DeliveryOutcome.Failed:
                _recorder?.Record(envelope.Due, envelope.Sender, envelope.Target.SelfRef, Unwrap(envelope.Message));
                ReportFailure(new ActorFailure(
                    envelope.Target.Path,
                    Unwrap(envelope.Message),
                    envelope.Target.FailureException ?? new InvalidOperationException("unknown failure"),
                    envelope.Due,
                    "handling"));
                break;
            default:
                break;
        }
    }

    private void AddDeadLetter(ref Envelope envelope, DeadLetterReason reason)
    {
        var letter = new DeadLetter(envelope.Due, Unwrap(envelope.Message), envelope.Sender, envelope.Target.SelfRef, reason);
        _deadLetters.Add(letter);
        DeadLetterRecorded?.Invoke(letter);
    }

    private ActorCell? CurrentCellOfThisSystem()
    {
        var current = ActorCell.Current;
        return current is not null && ReferenceEquals(current.SystemImpl, this) ? current : null;
    }

    private ActorCell CreateGuardian(string name, Props props)
    {
        var cell = new ActorCell(this, null, name, 0, props);
        cell.Start();
        return cell;
    }

    private RunResult RunCore(long limit, Func<bool>? stopWhen)
    {
        if (ActorCell.Current is not null)
        {
            throw new InvalidOperationException("Simulated time cannot be driven from inside an actor's handler; send a message instead.");
        }

        if (_running)
        {
            throw new InvalidOperationException($"Actor system '{Name}' is already running.");
        }

        if (_failure is not null)
        {
            return RunResult.Failed;
        }

        _running = true;
        _stopRequested = false;
        try
        {
            ApplyPendingStops();
            while (true)
            {
                if (_failure is not null)
                {
                    return RunResult.Failed;
                }

                if (_queue.Count == 0)
                {
                    return RunResult.Idle;
                }

                var next = _queue.Peek().Due;
                if (next >= limit)
                {
                    return RunResult.TimeLimitReached;
                }

                var quantumStart = next - (next % _quantum);
                _quantumEnd = quantumStart + _quantum;
                _dispatcher.RunWindow(_quantumEnd < limit ? _quantumEnd : limit);
                QuantaProcessed++;
                ApplyPendingStops();
                _quantumEnd = 0;
                if (_failure is not null)
                {
                    return RunResult.Failed;
                }

                if (_stopRequested)
                {
                    return RunResult.StopRequested;
                }

                if (stopWhen is not null && stopWhen())
                {
                    return RunResult.ConditionMet;
                }
            }
        }
        finally
        {
            _quantumEnd = 0;
            _running = false;
        }
    }

    private void ApplyPendingStops()
    {
        if (!_hasPendingStops)
        {
            return;
        }

        ActorCell[] stops;
        lock (_pendingStops)
        {
            stops = _pendingStops.ToArray();
            _pendingStops.Clear();
            _hasPendingStops = false;
        }

        // Stop in id order so that PostStop side effects do not depend on which worker asked first.
        Array.Sort(stops, static (a, b) => a.Id.CompareTo(b.Id));
        foreach (var cell in stops)
        {
            cell.StopNow();
        }
    }
}
