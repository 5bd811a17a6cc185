using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class DeterminismTests
{
    private const int Actors = 64;

    private sealed record Tick;

    /// <summary>Passes tokens around with varying delays and fan-out; message-only, so any dispatcher must agree.</summary>
    private sealed class Gossip : Actor
    {
        private int _ticks;

        public Gossip(int index, IActorRef[] peers)
        {
            Receive<Token>(t =>
            {
                if (t.Hops >= 24)
                {
                    return;
                }

                var next = peers[((index * 31) + (t.Hops * 17) + t.Origin) % peers.Length];
                var forwarded = t with { Hops = t.Hops + 1 };
                var delay = (index + t.Hops) % 3 * 700;
                if (delay == 0)
                {
                    next.Tell(forwarded);
                }
                else
                {
                    Context.ScheduleTell(delay, next, forwarded);
                }

                if (t.Hops % 6 == 0)
                {
                    peers[(index + 1) % peers.Length].Tell(new Token((index * 1000) + t.Hops, t.Hops + 1));
                }
            });
            Receive<Tick>(_ =>
            {
                if (++_ticks == 3)
                {
                    Timers.Cancel("tick");
                }

                peers[(index + _ticks) % peers.Length].Tell(new Token(index, 20));
            });
        }

        protected override void PreStart() => Timers.StartPeriodic("tick", new Tick(), 1_500 + (Self.Name.Length * 100));
    }

    private static (MessageLog Log, ActorSystem System) RunWorkload(Dispatcher? dispatcher)
    {
        var log = new MessageLog();
        var system = new ActorSystem("det", new ActorSystemOptions { Dispatcher = dispatcher, Recorder = log, DefaultLatency = 250 });
        var peers = new IActorRef[Actors];
        for (var i = 0; i < Actors; i++)
        {
            var index = i;
            peers[i] = system.ActorOf(Props.Create(() => new Gossip(index, peers)), $"node{i}");
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
        var (first, firstSystem) = RunWorkload(null);
        var (second, _) = RunWorkload(null);

        Assert.True(first.Entries.Count > 1_000, $"workload too small: {first.Entries.Count} deliveries");
        Assert.Equal(first.Entries, second.Entries);
        Assert.Equal(first.Entries.Count, firstSystem.MessagesDelivered);
    }

    [Fact]
    public void Deterministic_and_parallel_dispatchers_give_identical_message_logs()
    {
        var (deterministic, _) = RunWorkload(new DeterministicDispatcher());
        var (parallel, _) = RunWorkload(new ParallelDispatcher(threads: 4, minParallelBatch: 1));
        var (parallelAgain, _) = RunWorkload(new ParallelDispatcher(threads: 3, minParallelBatch: 2));

        Assert.Equal(deterministic.Entries, parallel.Entries);
        Assert.Equal(deterministic.Entries, parallelAgain.Entries);
    }

    [Fact]
    public void Dead_letters_are_reported_in_the_same_order_by_both_dispatchers()
    {
        static IReadOnlyList<DeadLetter> Run(Dispatcher dispatcher)
        {
            using var system = new ActorSystem("dl", new ActorSystemOptions { Dispatcher = dispatcher });
            var targets = new IActorRef[16];
            for (var i = 0; i < targets.Length; i++)
            {
                targets[i] = system.ActorOf<StringsOnly>($"s{i}");
            }

            for (var i = 0; i < 200; i++)
            {
                system.TellAt(i % 5 * 100, targets[(i * 7) % targets.Length], i);
            }

            system.RunUntilIdle();
            return system.DeadLetters;
        }

        var deterministic = Run(new DeterministicDispatcher());
        var parallel = Run(new ParallelDispatcher(threads: 4, minParallelBatch: 1));

        Assert.Equal(200, deterministic.Count);
        Assert.Equal(deterministic.Select(d => (d.Time, d.Message, d.Recipient.Path)), parallel.Select(d => (d.Time, d.Message, d.Recipient.Path)));
    }
}
