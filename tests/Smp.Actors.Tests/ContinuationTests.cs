using Akka.Actor;

namespace Smp.Actors.Tests;

/// <summary>
/// <see cref="ISimContext.TryContinue"/> must be invisible: a run whose actor continues into the next quantum without a
/// message gives the same message log, the same times seen by every handler, the same quanta and delivery counts and
/// the same end as the run where it sends itself every quantum.
/// </summary>
public sealed class ContinuationTests
{
    private sealed record Slice(int Number);

    private sealed record Ping(int Number);

    /// <summary>Works quantum by quantum like a CPU, now and then telling a peer something; notes what it sees.</summary>
    private sealed class Runner : SimActor
    {
        public Runner(IActorRef peer, bool useContinue, int slices, List<(long Now, long QuantumEnd)> seen, int[] continued,
            List<(long NextEnd, long Horizon, bool Continued)>? probes = null)
        {
            Receive<Slice>(s =>
            {
                for (var n = s.Number; n < slices; n++)
                {
                    seen.Add((Sim.Now, Sim.QuantumEnd));
                    if (n % 37 == 0) Sim.ScheduleTell(n % 5 * 400, peer, new Ping(n));
                    var next = new Slice(n + 1);
                    long horizon = Sim.ContinuationHorizon(), nextEnd = Sim.QuantumEnd + Sim.Simulation.Quantum;
                    bool ok = useContinue && Sim.TryContinue(next);
                    probes?.Add((nextEnd, horizon, ok));
                    if (!ok)
                    {
                        Sim.Tell(Self, next);
                        return;
                    }

                    continued[0]++;
                }
            });
            Receive<Ping>(p => seen.Add((-p.Number, Sim.Now)));
        }
    }

    /// <summary>Answers some pings later and keeps a slow periodic timer, so other envelopes come due between quanta.</summary>
    private sealed class Peer : SimActor
    {
        public Peer()
        {
            Receive<Ping>(p =>
            {
                if (p.Number % 2 == 0) Sim.ScheduleTell(2_500, Sender, p);
            });
            Receive<string>(_ => { });
        }

        protected override void PreStart() => Timers.StartPeriodic("tick", "tick", 7_300);
    }

    private sealed record Outcome(MessageLog Log, List<(long, long)> Seen, long Quanta, long Delivered, long Now, RunResult Result, int Continued);

    private static Outcome Run(bool useContinue, SimulationMode mode = SimulationMode.Deterministic, long? limit = null,
        List<(long NextEnd, long Horizon, bool Continued)>? probes = null)
    {
        var log = new MessageLog();
        using var simulation = new Simulation("cont", new SimulationOptions { Mode = mode, Recorder = log });
        var seen = new List<(long, long)>();
        var continued = new int[1];
        var peer = simulation.ActorOf(Props.Create(() => new Peer()), "peer");
        var runner = simulation.ActorOf(Props.Create(() => new Runner(peer, useContinue, 400, seen, continued, probes)), "runner");
        simulation.TellAt(1_500, runner, new Slice(0));
        var result = limit is { } l ? simulation.RunUntil(l) : simulation.RunUntil(500_000);
        Assert.Null(simulation.Failure);
        return new Outcome(log, seen, simulation.QuantaProcessed, simulation.MessagesDelivered, simulation.Now, result, continued[0]);
    }

    [Fact]
    public void Continuing_into_the_next_quantum_gives_the_same_log_times_and_counts_as_sending_to_itself()
    {
        var sent = Run(useContinue: false);
        var continuing = Run(useContinue: true);

        Assert.True(continuing.Continued > 100, $"only {continuing.Continued} quanta were continued");
        Assert.True(continuing.Continued < 399, "every quantum was continued although other envelopes came due");
        Assert.True(sent.Log.Entries.Count > 400);
        Assert.Equal(sent.Log.Entries, continuing.Log.Entries);
        Assert.Equal(sent.Seen, continuing.Seen);
        Assert.Equal(sent.Quanta, continuing.Quanta);
        Assert.Equal(sent.Delivered, continuing.Delivered);
        Assert.Equal(sent.Now, continuing.Now);
        Assert.Equal(sent.Result, continuing.Result);
    }

    [Fact]
    public void A_run_limit_inside_the_continued_quanta_ends_the_run_where_sending_would()
    {
        var sent = Run(useContinue: false, limit: 123_456);
        var continuing = Run(useContinue: true, limit: 123_456);

        Assert.Equal(RunResult.TimeLimitReached, continuing.Result);
        Assert.Equal(sent.Log.Entries, continuing.Log.Entries);
        Assert.Equal(sent.Seen, continuing.Seen);
        Assert.Equal(sent.Quanta, continuing.Quanta);
        Assert.Equal(sent.Now, continuing.Now);
    }

    [Fact]
    public void The_continuation_horizon_is_how_far_continuing_succeeds()
    {
        var probes = new List<(long NextEnd, long Horizon, bool Continued)>();
        Run(useContinue: true, probes: probes);

        // Every quantum that ends by the horizon is continued into, and none that ends after it; an actor that cannot
        // continue at all (a send in its outbox) gets no horizon.
        Assert.All(probes, p => Assert.Equal(p.Horizon != long.MinValue && p.NextEnd <= p.Horizon, p.Continued));
        Assert.Contains(probes, p => p.Continued && p.Horizon >= p.NextEnd + 5 * 1000);
        Assert.Contains(probes, p => !p.Continued && p.Horizon != long.MinValue);
        Assert.Contains(probes, p => p.Horizon == long.MinValue);
    }

    [Fact]
    public void Parallel_mode_never_continues_and_keeps_the_deterministic_log()
    {
        var deterministic = Run(useContinue: true);
        var parallel = Run(useContinue: true, SimulationMode.Parallel);

        Assert.Equal(0, parallel.Continued);
        Assert.Equal(deterministic.Log.Entries, parallel.Log.Entries);
        Assert.Equal(deterministic.Seen, parallel.Seen);
    }
}
