using Akka.Actor;
using Smp.Actors.Internal;

namespace Smp.Actors;

/// <summary>
/// Simulated time on Akka.NET: a world of <see cref="SimActor"/>s sharing one clock. The simulation's conductor (an
/// Akka actor, parent of its top-level actors) owns the queue of timed envelopes and delivers them in (due time,
/// sender id, sequence) order, in quanta: a message sent during the quantum [t, t + q) is never delivered before
/// t + q, and when nothing is due the clock jumps to the next due message. Drive it with <see cref="RunUntilIdle"/>,
/// <see cref="RunUntil"/>, <see cref="AdvanceBy"/> or <see cref="Step"/> from one host thread, or with
/// <see cref="RunAsync"/> from code that must not block (an actor of a cluster node).
/// </summary>
/// <remarks>
/// <para>Sender ids are assigned at spawn in spawn order (1, 2, ...); sends from outside have sender id 0. An exception
/// in an actor is reported as an <see cref="ActorFailure"/>, ends the run and stops the actor. Messages that cannot be
/// handled are kept as <see cref="DeadLetters"/>, in simulated time; Akka's own logging stays silent.</para>
/// <para>Several simulations can share one Akka actor system (by default <see cref="SimulationConfig.Shared"/>); each has
/// its own conductor at <c>/user/NAME-N</c>.</para>
/// </remarks>
public sealed class Simulation : IDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> s_names = new();
    private static int s_instances;
    private readonly Conductor _conductor;
    private readonly IActorRef _conductorRef;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    /// <summary>Creates a simulation and its conductor.</summary>
    /// <param name="name">The simulation's name, for diagnostics (the conductor is <c>/user/NAME-N</c>).</param>
    /// <param name="options">Scheduling options; deterministic, 1 µs quantum, no latency when null.</param>
    /// <param name="system">The Akka actor system to live in (its configuration must include <see cref="SimulationConfig.Akka"/>); the shared one when null.</param>
    public Simulation(string name = "sim", SimulationOptions? options = null, ActorSystem? system = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Options = options ?? new SimulationOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.Quantum, "options.Quantum");
        ArgumentOutOfRangeException.ThrowIfNegative(Options.DefaultLatency, "options.DefaultLatency");
        System = system ?? SimulationConfig.Shared;
        Name = name;
        int instance = Interlocked.Increment(ref s_instances);

        // Numbered per name, so the conductor's path (and failure reports) do not depend on unrelated simulations.
        int number = s_names.AddOrUpdate(name, 1, static (_, n) => n + 1);
        var dispatcher = Options.Mode == SimulationMode.Parallel
            ? SimulationConfig.ParallelDispatcher
            : SimulationConfig.LaneDispatcher(instance % SimulationConfig.Lanes);
        if (!System.Dispatchers.HasDispatcher(dispatcher))
        {
            throw new ArgumentException(
                $"The actor system '{System.Name}' has no dispatcher '{dispatcher}': create it with SimulationConfig.Akka in its configuration.", nameof(system));
        }

        _conductor = new Conductor(this, Options, dispatcher);
        var terminated = _terminated;
        var conductor = _conductor;
        _conductorRef = System.ActorOf(
            Props.Create(() => new ConductorActor(conductor, terminated)).WithDispatcher(dispatcher),
            $"{name}-{number}");
        _conductor.Self = _conductorRef;
    }

    /// <summary>Raised when a message becomes a dead letter (on the conductor's thread).</summary>
    public event Action<DeadLetter>? DeadLetterRecorded
    {
        add => _conductor.DeadLetterRecorded += value;
        remove => _conductor.DeadLetterRecorded -= value;
    }

    /// <summary>Raised once, when the first actor failure is reported (on the conductor's thread); the run then stops.</summary>
    public event Action<ActorFailure>? Failed
    {
        add => _conductor.Failed += value;
        remove => _conductor.Failed -= value;
    }

    /// <summary>The simulation's name.</summary>
    public string Name { get; }

    /// <summary>The options the simulation was created with.</summary>
    public SimulationOptions Options { get; }

    /// <summary>The Akka actor system the simulation lives in.</summary>
    public ActorSystem System { get; }

    /// <summary>The conductor actor (the parent of the top-level simulated actors).</summary>
    public IActorRef Conductor => _conductorRef;

    /// <summary>
    /// The current simulated time in nanoseconds: the due time of the message being (or last) delivered, or the limit
    /// a <see cref="RunUntil"/> advanced to. Inside handlers use <see cref="ISimContext.Now"/>, which is exact in parallel mode too.
    /// </summary>
    public long Now => _conductor.Now;

    /// <summary>The scheduling quantum in nanoseconds.</summary>
    public long Quantum => _conductor.Quantum;

    /// <summary>The latency added to <see cref="ISimContext.Tell"/>, in nanoseconds.</summary>
    public long DefaultLatency => _conductor.DefaultLatency;

    /// <summary>Deterministic or parallel delivery.</summary>
    public SimulationMode Mode => Options.Mode;

    /// <summary>How many quanta have been run; idle time jumps cost none.</summary>
    public long QuantaProcessed => _conductor.QuantaProcessed;

    /// <summary>How many messages have been delivered to actors' handlers.</summary>
    public long MessagesDelivered => _conductor.MessagesDelivered;

    /// <summary>Whether no message is pending.</summary>
    public bool IsIdle => _conductor.QueueCount == 0;

    /// <summary>The due time of the next pending message, or null when idle.</summary>
    public long? NextDueTime => _conductor.NextDueTime;

    /// <summary>Every message that could not be handled, in the order it came due.</summary>
    public IReadOnlyList<DeadLetter> DeadLetters => _conductor.DeadLetters;

    /// <summary>The first actor failure, or null. Once set, nothing more is delivered.</summary>
    public ActorFailure? Failure => _conductor.Failure;

    internal Conductor Core => _conductor;

    /// <summary>Creates a top-level simulated actor (an Akka child of the conductor) and returns once it and any children it spawned have started.</summary>
    /// <param name="props">The recipe: Akka's <c>Props.Create(() =&gt; new T(...))</c> of a <see cref="SimActor"/>.</param>
    /// <param name="name">The name, unique in the simulation's top level; Akka chooses one when null.</param>
    /// <returns>The actor's reference; its path inside the simulation is <c>/NAME</c>.</returns>
    /// <exception cref="ArgumentException">The name is invalid or taken.</exception>
    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (SimCell.Current is { } current && ReferenceEquals(current.Conductor, _conductor))
        {
            return current.ActorOf(props, name);
        }

        var done = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        _conductorRef.Tell(new SpawnRequest(props, name, done), ActorRefs.NoSender);
        return Wait(done.Task);
    }

    /// <summary>Finds a running actor by its path inside the simulation, for example <c>/board/cpu0</c>.</summary>
    /// <param name="path">The actor's path.</param>
    /// <returns>The actor, or null when no running actor has that path.</returns>
    public IActorRef? TryGetActor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        foreach (var cell in _conductor.Cells)
        {
            if (cell.State == CellState.Running && cell.Path == path)
            {
                return cell.Ref;
            }
        }

        return null;
    }

    /// <summary>The path of a simulated actor inside this simulation (stable from run to run), for example <c>/cpu0</c>.</summary>
    /// <param name="actor">A simulated actor of this simulation.</param>
    /// <returns>The path.</returns>
    public string PathOf(IActorRef actor) =>
        _conductor.CellOf(actor)?.Path ?? throw new ArgumentException($"{actor.Path} is not an actor of this simulation.", nameof(actor));

    /// <summary>
    /// Stops an actor and its children now, between runs, and returns once their <c>PostStop</c> ran (inside actors use
    /// <see cref="ISimContext.Stop"/>). Messages that come due for them afterwards become dead letters.
    /// </summary>
    /// <param name="actor">The actor to stop.</param>
    public void Stop(IActorRef actor)
    {
        var cell = _conductor.CellOf(actor) ?? throw new ArgumentException($"{actor.Path} is not an actor of this simulation.", nameof(actor));
        if (SimCell.Current is { } current && ReferenceEquals(current.Conductor, _conductor))
        {
            current.Stop(actor);
            return;
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _conductorRef.Tell(new StopRequest(cell, done), ActorRefs.NoSender);
        Wait(done.Task);
    }

    /// <summary>
    /// Sends <paramref name="message"/> in simulated time. Called while a simulated actor of this simulation handles a
    /// message (for example from a device callback the actor triggered), it is that actor's send
    /// (<see cref="ISimContext.Tell"/>); from outside, it is due now with sender id 0.
    /// </summary>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="sender">The sender the receiver sees, or null.</param>
    public void Tell(IActorRef target, object message, IActorRef? sender = null)
    {
        if (SimCell.Current is { } current && ReferenceEquals(current.Conductor, _conductor))
        {
            current.Tell(target, message, sender);
        }
        else
        {
            _conductor.PostExternal(target, message, sender, _conductor.Now);
        }
    }

    /// <summary>Sends a message due <paramref name="delay"/> nanoseconds from now (see <see cref="Tell"/> for who the sender is).</summary>
    /// <param name="delay">The delay in nanoseconds.</param>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="sender">The sender the receiver sees, or null.</param>
    public void ScheduleTell(long delay, IActorRef target, object message, IActorRef? sender = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        if (SimCell.Current is { } current && ReferenceEquals(current.Conductor, _conductor))
        {
            current.ScheduleTell(delay, target, message, sender);
        }
        else
        {
            _conductor.PostExternal(target, message, sender, _conductor.Now + delay);
        }
    }

    /// <summary>Sends a message due at the absolute simulated <paramref name="time"/> (never in the past).</summary>
    /// <param name="time">The due time in nanoseconds.</param>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="sender">The sender the receiver sees, or null.</param>
    public void TellAt(long time, IActorRef target, object message, IActorRef? sender = null)
    {
        if (SimCell.Current is { } current && ReferenceEquals(current.Conductor, _conductor))
        {
            current.TellAt(time, target, message, sender);
        }
        else
        {
            _conductor.PostExternal(target, message, sender, time);
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="target"/> and returns a task completed by the first reply. The task
    /// fails with <see cref="AskTimeoutException"/> when no reply came within <paramref name="timeout"/> nanoseconds of
    /// simulated time (Akka's Ask measures wall time, which a simulation must not). It completes only while the simulation runs.
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
        var description = $"Ask of {_conductor.CellOf(target)?.Path ?? target.Path.ToString()} with {message}";
        var asker = ActorOf(Props.Create(() => new AskActor<T>(completion, timeout, description)));
        Tell(target, message, asker);
        return completion.Task;
    }

    /// <summary>Runs until no message is pending, an actor fails or a stop is requested.</summary>
    /// <returns>Why the run returned.</returns>
    public RunResult RunUntilIdle() => Wait(RunAsync(long.MaxValue));

    /// <summary>
    /// Delivers every message due at or before <paramref name="time"/>, then sets <see cref="Now"/> to <paramref name="time"/>
    /// (unless an actor failed or a stop was requested first).
    /// </summary>
    /// <param name="time">The simulated time to reach, in nanoseconds.</param>
    /// <returns>Why the run returned: <see cref="RunResult.Idle"/> or <see cref="RunResult.TimeLimitReached"/> when the time was reached.</returns>
    public RunResult RunUntil(long time) => Wait(RunAsync(time));

    /// <summary>Runs for <paramref name="duration"/> nanoseconds of simulated time (see <see cref="RunUntil"/>).</summary>
    /// <param name="duration">How far to advance the clock.</param>
    /// <returns>Why the run returned.</returns>
    public RunResult AdvanceBy(long duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(duration);
        return RunUntil(Now + duration);
    }

    /// <summary>Runs exactly one quantum (the one holding the next due message), jumping over idle time.</summary>
    /// <returns>True when a quantum ran; false when the simulation was idle or had failed.</returns>
    public bool Step()
    {
        var before = QuantaProcessed;
        Wait(Start(long.MaxValue, null, singleQuantum: true));
        return QuantaProcessed != before;
    }

    /// <summary>
    /// Runs until <paramref name="time"/> (inclusive; <see cref="long.MaxValue"/>: until idle) without blocking the caller:
    /// for code that lives on an Akka dispatcher itself, such as a cluster worker driving a simulation.
    /// </summary>
    /// <param name="time">The simulated time to reach, in nanoseconds.</param>
    /// <returns>Why the run returned.</returns>
    public async Task<RunResult> RunAsync(long time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(time);
        var result = await Start(time == long.MaxValue ? long.MaxValue : time + 1, null, singleQuantum: false).ConfigureAwait(false);
        if (time != long.MaxValue && result is RunResult.Idle or RunResult.TimeLimitReached)
        {
            _conductor.SetNowAfterRun(time);
        }

        return result;
    }

    /// <summary>Asks the running conductor to return <see cref="RunResult.StopRequested"/> at the end of the current quantum. Pending messages stay queued.</summary>
    public void RequestStop() => _conductor.RequestStop();

    /// <summary>
    /// Asks the conductor, from any thread, to pause the current run (or the next one) before its next envelope: the run
    /// returns <see cref="RunResult.Paused"/> with the quantum half delivered, and the next run resumes exactly there, so a
    /// paused and resumed run delivers the same envelopes at the same times as one that was never paused. Between the
    /// two, actors' state may be read from the host (a debugger stopping the machine).
    /// </summary>
    public void RequestPause() => _conductor.RequestPause();

    /// <summary>True after a run returned <see cref="RunResult.Paused"/>, until the next run resumes it.</summary>
    public bool IsPaused => _conductor.Paused;

    /// <summary>
    /// Puts the conductor back to a quiescent state at <paramref name="time"/> between runs: the clock (and every actor's
    /// local time) moves there, pending messages are dropped and timers cancelled, and a stop request is forgotten. This is
    /// what restoring a snapshot of a quiescent simulation means for simulated time: a replay from it sees exactly the
    /// same times and order, whatever ran since.
    /// </summary>
    /// <param name="time">The snapshot's simulated time, in nanoseconds.</param>
    /// <exception cref="InvalidOperationException">A run is active.</exception>
    public void Rewind(long time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(time);
        if (_conductor.Running || SimCell.Current is not null)
        {
            throw new InvalidOperationException("The clock cannot be rewound during a run.");
        }

        _conductor.Rewind(time);
    }

    /// <summary>Stops every actor of the simulation (their <c>PostStop</c> runs) and its conductor, and drops pending messages.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        System.Stop(_conductorRef);
        if (SimCell.Current is null && !_conductor.OnConductorThread)
        {
            _terminated.Task.GetAwaiter().GetResult();
        }
    }

    /// <summary>The simulation's name and time.</summary>
    /// <returns>For example <c>Simulation(machine, t=1 µs)</c>.</returns>
    public override string ToString() => $"Simulation({Name}, t={SimTime.Format(Now)})";

    /// <summary>Runs until <paramref name="time"/> or until <paramref name="stopWhen"/> holds after a quantum (the TestKit waits for a message this way).</summary>
    internal RunResult RunUntilOrCondition(long time, Func<bool>? stopWhen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(time);
        var result = Wait(Start(time == long.MaxValue ? long.MaxValue : time + 1, stopWhen, singleQuantum: false));
        if (time != long.MaxValue && result is RunResult.Idle or RunResult.TimeLimitReached)
        {
            _conductor.SetNowAfterRun(time);
        }

        return result;
    }

    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private Task<RunResult> Start(long limit, Func<bool>? stopWhen, bool singleQuantum)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (SimCell.Current is not null || _conductor.OnConductorThread)
        {
            throw new InvalidOperationException("Simulated time cannot be driven from inside a simulated actor; send a message instead.");
        }

        var done = new TaskCompletionSource<RunResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _conductorRef.Tell(new RunRequest(limit, stopWhen, singleQuantum, done), ActorRefs.NoSender);
        return done.Task;
    }
}
