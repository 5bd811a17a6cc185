using System.Collections.Concurrent;
using Akka.Actor;

namespace Smp.Actors.TestKit;

/// <summary>
/// A simulated actor that collects the messages sent to it, for tests. Expectations drive the simulation's clock
/// until a message arrives or a simulated timeout elapses, so waiting costs no wall time when the simulation is idle
/// (Akka.TestKit's <c>TestProbe</c> waits in wall time). Pass <see cref="Ref"/> wherever an actor is expected; use
/// the probe from the thread that drives the simulation.
/// </summary>
public sealed class SimTestProbe
{
    private readonly Simulation _system;
    private readonly ConcurrentQueue<(object Message, IActorRef Sender, long Time)> _inbox = new();

    /// <summary>Creates a probe: a simulated actor at <c>/NAME</c>.</summary>
    /// <param name="simulation">The simulation to probe.</param>
    /// <param name="name">The probe's name; Akka chooses one when null.</param>
    public SimTestProbe(Simulation simulation, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        _system = simulation;
        LastSender = ActorRefs.Nobody;
        var inbox = _inbox;
        Ref = simulation.ActorOf(Props.Create(() => new ProbeActor(inbox)), name);
        Path = simulation.PathOf(Ref);
    }

    /// <summary>The probe's actor.</summary>
    public IActorRef Ref { get; }

    /// <summary>The probe's path inside the simulation, for example <c>/probe</c>.</summary>
    public string Path { get; }

    /// <summary>How long expectations wait by default, in simulated nanoseconds (1 s).</summary>
    public long DefaultTimeout { get; set; } = SimTime.Second;

    /// <summary>The sender of the last message taken by an expectation (<see cref="ActorRefs.Nobody"/> before any).</summary>
    public IActorRef LastSender { get; private set; }

    /// <summary>The last message taken by an expectation, or null.</summary>
    public object? LastMessage { get; private set; }

    /// <summary>The simulated time at which the last taken message arrived.</summary>
    public long LastMessageTime { get; private set; }

    /// <summary>How many messages arrived and were not yet taken by an expectation.</summary>
    public int PendingCount => _inbox.Count;

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> with this probe as the sender.</summary>
    /// <param name="target">The receiver.</param>
    /// <param name="message">The message.</param>
    public void Send(IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        _system.Tell(target, message, Ref);
    }

    /// <summary>Answers the sender of the last taken message, with this probe as the sender.</summary>
    /// <param name="message">The reply.</param>
    public void Reply(object message)
    {
        if (LastMessage is null)
        {
            throw new InvalidOperationException($"Probe {Path} has received no message to reply to.");
        }

        _system.Tell(LastSender, message, Ref);
    }

    /// <summary>
    /// Takes the next message, running simulated time until one arrives; it must be a
    /// <typeparamref name="T"/> satisfying <paramref name="predicate"/>.
    /// </summary>
    /// <typeparam name="T">The expected message type.</typeparam>
    /// <param name="predicate">An extra condition on the message, or null.</param>
    /// <param name="timeout">How long to wait, in simulated nanoseconds; <see cref="DefaultTimeout"/> when null.</param>
    /// <returns>The message.</returns>
    /// <exception cref="TestKitAssertionException">No message arrived in time, or it did not match.</exception>
    public T ExpectMsg<T>(Func<T, bool>? predicate = null, long? timeout = null)
    {
        var (message, sender, time) = Take(typeof(T).Name, timeout);
        if (message is not T typed)
        {
            throw new TestKitAssertionException(
                $"Probe {Path} expected a {typeof(T).Name} but received {Describe(message)} from {Describe(sender)} at t={SimTime.Format(time)}.");
        }

        if (predicate is not null && !predicate(typed))
        {
            throw new TestKitAssertionException(
                $"Probe {Path} received {Describe(message)} from {Describe(sender)} at t={SimTime.Format(time)}, which does not satisfy the predicate.");
        }

        return typed;
    }

    /// <summary>Takes the next message, running simulated time until one arrives; it must equal <paramref name="expected"/>.</summary>
    /// <typeparam name="T">The expected message type.</typeparam>
    /// <param name="expected">The expected message (compared with <see cref="object.Equals(object?)"/>, so records compare by value).</param>
    /// <param name="timeout">How long to wait, in simulated nanoseconds; <see cref="DefaultTimeout"/> when null.</param>
    /// <returns>The message.</returns>
    /// <exception cref="TestKitAssertionException">No message arrived in time, or it was different.</exception>
    public T ExpectMsg<T>(T expected, long? timeout = null)
        where T : notnull
    {
        var (message, sender, time) = Take(expected.ToString() ?? typeof(T).Name, timeout);
        if (!expected.Equals(message))
        {
            throw new TestKitAssertionException(
                $"Probe {Path} expected {expected} but received {Describe(message)} from {Describe(sender)} at t={SimTime.Format(time)}.");
        }

        return (T)message;
    }

    /// <summary>Runs simulated time for <paramref name="duration"/> nanoseconds and checks that no message arrived.</summary>
    /// <param name="duration">How long to watch, in simulated nanoseconds.</param>
    /// <exception cref="TestKitAssertionException">A message arrived.</exception>
    public void ExpectNoMsg(long duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(duration);
        if (_inbox.Count == 0)
        {
            _system.RunUntilOrCondition(_system.Now + duration, () => _inbox.Count > 0);
        }

        if (_inbox.Count > 0)
        {
            _inbox.TryPeek(out var first);
            var (message, sender, time) = first;
            throw new TestKitAssertionException(
                $"Probe {Path} expected no message for {SimTime.Format(duration)} but received {Describe(message)} from {Describe(sender)} at t={SimTime.Format(time)}.");
        }

        ThrowIfFailed("while expecting no message");
    }

    /// <summary>The probe's path.</summary>
    /// <returns>The path.</returns>
    public override string ToString() => Path;

    private static string Describe(object message) => message is IActorRef actor ? actor.Path.ToStringWithoutAddress() : $"{message.GetType().Name} {message}";

    private (object Message, IActorRef Sender, long Time) Take(string expectation, long? timeout)
    {
        var wait = timeout ?? DefaultTimeout;
        ArgumentOutOfRangeException.ThrowIfNegative(wait);
        if (_inbox.Count == 0)
        {
            _system.RunUntilOrCondition(_system.Now + wait, () => _inbox.Count > 0);
        }

        if (_inbox.Count == 0)
        {
            ThrowIfFailed($"while waiting for {expectation}");
            throw new TestKitAssertionException(
                $"Probe {Path} waited {SimTime.Format(wait)} of simulated time for {expectation} but no message arrived (now t={SimTime.Format(_system.Now)}).");
        }

        _inbox.TryDequeue(out var entry);
        LastMessage = entry.Message;
        LastSender = entry.Sender;
        LastMessageTime = entry.Time;
        return entry;
    }

    private void ThrowIfFailed(string context)
    {
        if (_system.Failure is { } failure)
        {
            throw new TestKitAssertionException($"Probe {Path}: the simulation failed {context}: {failure}");
        }
    }
}
