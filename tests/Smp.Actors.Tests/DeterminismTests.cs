using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class DeterminismTests
{
    private const int Actors = 64;

    private sealed record Tick;

    /// <summary>Passes tokens around with varying delays and fan-out; message-only, so any dispatcher must agree.</summary>
    private sealed class Gossip : SimActor
    {
        private int _ticks;

        public Gossip(int index, IActorRef[] peers, bool jitter)
        {
            Receive<Token>(t =>
            {
                if (jitter)
                {
                    HostJitter.Disturb();
                }

                if (t.Hops >= 24)
                {
                    return;
                }

                var next = peers[((index * 31) + (t.Hops * 17) + t.Origin) % peers.Length];
                var forwarded = t with { Hops = t.Hops + 1 };
                var delay = (index + t.Hops) % 3 * 700;
                if (delay == 0)
                {
                    Sim.Tell(next, forwarded);
                }
                else
                {
                    Sim.ScheduleTell(delay, next, forwarded);
                }

                if (t.Hops % 6 == 0)
                {
                    Sim.Tell(peers[(index + 1) % peers.Length], new Token((index * 1000) + t.Hops, t.Hops + 1));
                }
            });
            Receive<Tick>(_ =>
            {
                if (jitter)
                {
                    HostJitter.Disturb();
                }

                if (++_ticks == 3)
                {
                    Timers.Cancel("tick");
                }

                Sim.Tell(peers[(index + _ticks) % peers.Length], new Token(index, 20));
            });
        }

        protected override void PreStart() => Timers.StartPeriodic("tick", new Tick(), 1_500 + (Self.Path.Name.Length * 100));
    }

    internal static (MessageLog Log, Simulation System) RunWorkload(SimulationMode mode, bool jitter = false)
    {
        var log = new MessageLog();
        var system = new Simulation("det", new SimulationOptions { Mode = mode, Recorder = log, DefaultLatency = 250 });
        var peers = new IActorRef[Actors];
        for (var i = 0; i < Actors; i++)
        {
            var index = i;
            peers[i] = system.ActorOf(Props.Create(() => new Gossip(index, peers, jitter)), $"node{i}");
        }

        for (var i = 0; i < Actors; i++)
        {
            system.TellAt(i % 4 * 300, peers[i], new Token(i, 0));
        }

        Assert.Equal(RunResult.Idle, system.RunUntilIdle());
        Assert.Null(system.Failure);
        system.Dispose();
        return (log, system);
    }

    [Fact]
    public void The_same_workload_twice_gives_identical_message_logs()
    {
        var (first, firstSystem) = RunWorkload(SimulationMode.Deterministic);
        var (second, _) = RunWorkload(SimulationMode.Deterministic);

        Assert.True(first.Entries.Count > 1_000, $"workload too small: {first.Entries.Count} deliveries");
        Assert.Equal(first.Entries, second.Entries);
        Assert.Equal(first.Entries.Count, firstSystem.MessagesDelivered);
    }

    [Fact]
    public void Deterministic_and_parallel_modes_give_identical_message_logs()
    {
        var (deterministic, _) = RunWorkload(SimulationMode.Deterministic);
        var (parallel, _) = RunWorkload(SimulationMode.Parallel);
        var (parallelAgain, _) = RunWorkload(SimulationMode.Parallel);

        Assert.Equal(deterministic.Entries, parallel.Entries);
        Assert.Equal(deterministic.Entries, parallelAgain.Entries);
    }

    [Fact]
    public void Dead_letters_are_reported_in_the_same_order_in_both_modes()
    {
        static IReadOnlyList<DeadLetter> Run(SimulationMode mode)
        {
            using var system = new Simulation("dl", new SimulationOptions { Mode = mode });
            var targets = new IActorRef[16];
            for (var i = 0; i < targets.Length; i++)
            {
                targets[i] = system.ActorOf(Props.Create<StringsOnly>(), $"s{i}");
            }

            for (var i = 0; i < 200; i++)
            {
                system.TellAt(i % 5 * 100, targets[(i * 7) % targets.Length], i);
            }

            system.RunUntilIdle();
            return system.DeadLetters;
        }

        var deterministic = Run(SimulationMode.Deterministic);
        var parallel = Run(SimulationMode.Parallel);

        Assert.Equal(200, deterministic.Count);
        Assert.Equal(deterministic.Select(d => (d.Time, d.Message, d.RecipientPath)), parallel.Select(d => (d.Time, d.Message, d.RecipientPath)));
    }
}
