using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Smp.Actors;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench actors</c>: message throughput of plain Akka.NET actors (what the runtime itself costs) and events
/// per second of the simulated-time layer on top of it (each event is an envelope handed out by the conductor, handled
/// and acknowledged), for a ping-pong between two actors and a fan-out from one actor to 1000 that all answer.
/// The last two lines are <c>akka_msgs_per_sec: N</c> (raw ping-pong on one thread) and <c>sim_events_per_sec: N</c>
/// (deterministic simulated ping-pong).
/// </summary>
internal static class ActorBench
{
    private const int FanOutWidth = 1000;

    /// <summary>Runs the benchmarks (warm-up first) and prints the results.</summary>
    /// <param name="output">Where the table goes (stdout).</param>
    /// <returns>The exit code.</returns>
    public static int Run(TextWriter output)
    {
        var system = SimulationConfig.Shared;

        // Warm-up: let the JIT reach its optimised tier before anything is measured.
        for (var i = 0; i < 2; i++)
        {
            RawPingPong(system, SimulationConfig.LaneDispatcher(0), 200_000);
            RawFanOut(system, SimulationConfig.ParallelDispatcher, 20);
            SimPingPong(SimulationMode.Deterministic, 50_000);
            SimFanOut(SimulationMode.Parallel, 5);
        }

        var raw = new List<BenchResult>
        {
            RawPingPong(system, SimulationConfig.LaneDispatcher(0), 2_000_000),
            RawPingPong(system, SimulationConfig.ParallelDispatcher, 1_000_000),
            RawFanOut(system, SimulationConfig.ParallelDispatcher, 200),
        };
        var sim = new List<BenchResult>
        {
            SimPingPong(SimulationMode.Deterministic, 500_000),
            SimPingPong(SimulationMode.Parallel, 200_000),
            SimFanOut(SimulationMode.Deterministic, 100),
            SimFanOut(SimulationMode.Parallel, 100),
        };

        output.WriteLine($"Akka.NET {typeof(ActorSystem).Assembly.GetName().Version} on {Environment.ProcessorCount} host cores");
        output.WriteLine();
        Table(output, "raw Akka.NET (Tell, no simulated time)", "dispatcher", "msgs/s", raw);
        output.WriteLine();
        Table(output, "simulated time (conductor: envelope out, handled, acknowledged)", "mode", "events/s", sim);
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"akka_msgs_per_sec: {(long)raw[0].PerSecond}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sim_events_per_sec: {(long)sim[0].PerSecond}"));
        return ExitCodes.Ok;
    }

    private static void Table(TextWriter output, string title, string how, string unit, List<BenchResult> results)
    {
        output.WriteLine(title);
        output.WriteLine($"  {"workload",-22} {how,-26} {"messages",12} {"seconds",9} {unit,14}");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {r.Workload,-22} {r.How,-26} {r.Messages,12:N0} {r.Seconds,9:0.000} {r.PerSecond,14:N0}"));
        }
    }

    private static BenchResult RawPingPong(ActorSystem system, string dispatcher, int exchanges)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ponger = system.ActorOf(Props.Create(() => new RawPonger()).WithDispatcher(dispatcher));
        var pinger = system.ActorOf(Props.Create(() => new RawPinger(ponger, exchanges, done)).WithDispatcher(dispatcher));
        var watch = Stopwatch.StartNew();
        pinger.Tell(Ball.Instance, ActorRefs.NoSender);
        done.Task.Wait();
        watch.Stop();
        system.Stop(pinger);
        system.Stop(ponger);
        return Result("ping-pong (2 actors)", dispatcher, 2L * exchanges, watch);
    }

    private static BenchResult RawFanOut(ActorSystem system, string dispatcher, int rounds)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = new IActorRef[FanOutWidth];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = system.ActorOf(Props.Create(() => new RawPonger()).WithDispatcher(dispatcher));
        }

        var hub = system.ActorOf(Props.Create(() => new RawBroadcaster(workers, rounds, done)).WithDispatcher(dispatcher));
        var watch = Stopwatch.StartNew();
        hub.Tell(Ball.Instance, ActorRefs.NoSender);
        done.Task.Wait();
        watch.Stop();
        system.Stop(hub);
        foreach (var worker in workers)
        {
            system.Stop(worker);
        }

        return Result($"fan-out (1 -> {FanOutWidth})", dispatcher, 2L * FanOutWidth * rounds, watch);
    }

    private static BenchResult SimPingPong(SimulationMode mode, int exchanges)
    {
        using var simulation = new Simulation("bench", new SimulationOptions { Mode = mode });
        var ponger = simulation.ActorOf(Props.Create(() => new SimPonger()), "ponger");
        var pinger = simulation.ActorOf(Props.Create(() => new SimPinger(exchanges)), "pinger");
        simulation.Tell(ponger, Ball.Instance, pinger);
        return Measure(simulation, "ping-pong (2 actors)");
    }

    private static BenchResult SimFanOut(SimulationMode mode, int rounds)
    {
        using var simulation = new Simulation("bench", new SimulationOptions { Mode = mode });
        var workers = new IActorRef[FanOutWidth];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = simulation.ActorOf(Props.Create(() => new SimPonger()), "w" + i.ToString(CultureInfo.InvariantCulture));
        }

        var hub = simulation.ActorOf(Props.Create(() => new SimBroadcaster(workers, rounds)), "hub");
        simulation.Tell(hub, Ball.Instance);
        return Measure(simulation, $"fan-out (1 -> {FanOutWidth})");
    }

    private static BenchResult Measure(Simulation simulation, string workload)
    {
        var before = simulation.MessagesDelivered;
        var watch = Stopwatch.StartNew();
        var result = simulation.RunUntilIdle();
        watch.Stop();
        if (result != RunResult.Idle)
        {
            throw new InvalidOperationException($"the {workload} benchmark ended with {result}: {simulation.Failure}");
        }

        return Result(workload, simulation.Mode.ToString().ToLowerInvariant(), simulation.MessagesDelivered - before, watch);
    }

    private static BenchResult Result(string workload, string how, long messages, Stopwatch watch)
    {
        var seconds = Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        return new BenchResult(workload, how, messages, seconds, messages / seconds);
    }

    /// <summary>The message bounced between actors; immutable, so one instance serves every send.</summary>
    private sealed record Ball
    {
        public static readonly Ball Instance = new();
    }

    private sealed record BenchResult(string Workload, string How, long Messages, double Seconds, double PerSecond);

    private sealed class RawPonger : ReceiveActor
    {
        public RawPonger() => Receive<Ball>(ball => Sender.Tell(ball, Self));
    }

    private sealed class RawPinger : ReceiveActor
    {
        private int _remaining;

        public RawPinger(IActorRef ponger, int exchanges, TaskCompletionSource done)
        {
            _remaining = exchanges;
            Receive<Ball>(ball =>
            {
                if (--_remaining >= 0)
                {
                    ponger.Tell(ball, Self);
                }
                else
                {
                    done.TrySetResult();
                }
            });
        }
    }

    private sealed class RawBroadcaster : ReceiveActor
    {
        private int _acks;

        public RawBroadcaster(IActorRef[] workers, int rounds, TaskCompletionSource done)
        {
            Receive<Ball>(ball =>
            {
                if (Sender.IsNobody() || Sender is DeadLetterActorRef || ++_acks == workers.Length)
                {
                    _acks = 0;
                    if (rounds-- == 0)
                    {
                        done.TrySetResult();
                        return;
                    }

                    foreach (var worker in workers)
                    {
                        worker.Tell(ball, Self);
                    }
                }
            });
        }
    }

    private sealed class SimPonger : SimActor
    {
        public SimPonger() => Receive<Ball>(ball => Sim.Tell(Sender, ball));
    }

    private sealed class SimPinger : SimActor
    {
        private int _remaining;

        public SimPinger(int exchanges)
        {
            _remaining = exchanges;
            Receive<Ball>(ball =>
            {
                if (--_remaining > 0)
                {
                    Sim.Tell(Sender, ball);
                }
            });
        }
    }

    private sealed class SimBroadcaster : SimActor
    {
        private readonly IActorRef[] _workers;
        private int _rounds;
        private int _acks;

        public SimBroadcaster(IActorRef[] workers, int rounds)
        {
            _workers = workers;
            _rounds = rounds;
            Receive<Ball>(ball =>
            {
                if (Sender.IsNobody() || Sender is DeadLetterActorRef)
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
                Sim.Tell(worker, ball);
            }
        }
    }
}
