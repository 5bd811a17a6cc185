using System.Diagnostics;
using System.Globalization;
using Smp.Actors;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench actors</c>: message throughput of the actor runtime on each dispatcher, for a
/// ping-pong between two actors and a fan-out from one actor to 1000 that all answer.
/// Prints a table and, as its last line, <c>msgs_per_sec: N</c> for deterministic ping-pong.
/// </summary>
internal static class ActorBench
{
    private const int FanOutWidth = 1000;

    /// <summary>Runs the benchmarks (warm-up first) and prints the results.</summary>
    /// <param name="output">Where the table goes (stdout).</param>
    /// <returns>The exit code.</returns>
    public static int Run(TextWriter output)
    {
        // Warm-up: let the JIT reach its optimised tier before anything is measured.
        for (var i = 0; i < 2; i++)
        {
            PingPong(new DeterministicDispatcher(), 200_000);
            PingPong(new ParallelDispatcher(), 50_000);
            FanOut(new DeterministicDispatcher(), 50);
            FanOut(new ParallelDispatcher(), 20);
        }

        Thread.Sleep(150);

        var results = new List<BenchResult>
        {
            PingPong(new DeterministicDispatcher(), 1_500_000),
            PingPong(new ParallelDispatcher(), 500_000),
            FanOut(new DeterministicDispatcher(), 500),
            FanOut(new ParallelDispatcher(), 250),
        };

        output.WriteLine($"actor runtime throughput ({Environment.ProcessorCount} host cores; parallel dispatcher uses up to {Environment.ProcessorCount} threads)");
        output.WriteLine();
        output.WriteLine($"{"workload",-26} {"dispatcher",-14} {"messages",12} {"seconds",9} {"msgs/s",14}");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{r.Workload,-26} {r.Dispatcher,-14} {r.Messages,12:N0} {r.Seconds,9:0.000} {r.MessagesPerSecond,14:N0}"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"msgs_per_sec: {(long)results[0].MessagesPerSecond}"));
        return ExitCodes.Ok;
    }

    private static BenchResult PingPong(Dispatcher dispatcher, int exchanges)
    {
        using var system = new ActorSystem("bench", new ActorSystemOptions { Dispatcher = dispatcher });
        var ponger = system.ActorOf(Props.Create(() => new Ponger()), "ponger");
        var pinger = system.ActorOf(Props.Create(() => new Pinger(exchanges)), "pinger");
        ponger.Tell(Ball.Instance, pinger);
        return Measure(system, "ping-pong (2 actors)");
    }

    private static BenchResult FanOut(Dispatcher dispatcher, int rounds)
    {
        using var system = new ActorSystem("bench", new ActorSystemOptions { Dispatcher = dispatcher });
        var workers = new IActorRef[FanOutWidth];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = system.ActorOf(Props.Create(() => new Ponger()), "w" + i.ToString(CultureInfo.InvariantCulture));
        }

        var hub = system.ActorOf(Props.Create(() => new Broadcaster(workers, rounds)), "hub");
        hub.Tell(Ball.Instance);
        return Measure(system, $"fan-out (1 -> {FanOutWidth})");
    }

    private static BenchResult Measure(ActorSystem system, string workload)
    {
        var before = system.MessagesDelivered;
        var watch = Stopwatch.StartNew();
        var result = system.RunUntilIdle();
        watch.Stop();
        if (result != RunResult.Idle)
        {
            throw new InvalidOperationException($"the {workload} benchmark ended with {result}: {system.Failure}");
        }

        var messages = system.MessagesDelivered - before;
        var seconds = Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        return new BenchResult(workload, system.Dispatcher.Name, messages, seconds, messages / seconds);
    }

    /// <summary>The message bounced between actors; immutable, so one instance serves every send.</summary>
    private sealed record Ball
    {
        public static readonly Ball Instance = new();
    }

    private sealed record BenchResult(string Workload, string Dispatcher, long Messages, double Seconds, double MessagesPerSecond);

    private sealed class Ponger : Actor
    {
        public Ponger()
        {
            Receive<Ball>(ball => Sender.Tell(ball));
        }
    }

    private sealed class Pinger : Actor
    {
        private int _remaining;

        public Pinger(int exchanges)
        {
            _remaining = exchanges;
            Receive<Ball>(ball =>
            {
                if (--_remaining > 0)
                {
                    Sender.Tell(ball);
                }
            });
        }
    }

    private sealed class Broadcaster : Actor
    {
        private readonly IActorRef[] _workers;
        private int _rounds;
        private int _acks;

        public Broadcaster(IActorRef[] workers, int rounds)
        {
            _workers = workers;
            _rounds = rounds;
            Receive<Ball>(ball =>
            {
                if (Sender == Context.System.Nobody)
                {
                    Broadcast(ball);
                    return;
                }

                if (++_acks == _workers.Length)
                {
                    _acks = 0;
                    if (--_rounds > 0)
                    {
                        Broadcast(ball);
                    }
                }
            });
        }

        private void Broadcast(Ball ball)
        {
            foreach (var worker in _workers)
            {
                worker.Tell(ball);
            }
        }
    }
}
