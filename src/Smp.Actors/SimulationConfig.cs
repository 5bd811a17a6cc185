using System.Globalization;
using Akka.Actor;
using Akka.Configuration;

namespace Smp.Actors;

/// <summary>
/// The Akka.NET configuration simulations need, and the process-wide actor system that hosts them unless
/// a caller passes its own (a cluster node, for instance, includes <see cref="Akka"/> in its configuration).
/// </summary>
/// <remarks>
/// Minimal on purpose, because start-up time counts for <c>smp boot</c>: no remoting, Akka's own logging and
/// dead-letter logging off (simulated actors' dead letters are recorded in simulated time by the conductor),
/// top-level actors stopped rather than restarted on failure, and a few single-thread dispatchers
/// ("lanes"): a deterministic simulation runs its conductor and all its actors on one lane, so an envelope
/// and its acknowledgement never wake another thread; parallel simulations share one pool with one thread
/// per host core.
/// </remarks>
public static class SimulationConfig
{
    /// <summary>The dispatcher of parallel simulations.</summary>
    public const string ParallelDispatcher = "smp.parallel-dispatcher";

    private static readonly Lazy<ActorSystem> SharedSystem = new(
        () => ActorSystem.Create("smp", Akka),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>How many single-thread lanes deterministic simulations are spread over (one per host core, at most 4).</summary>
    public static int Lanes { get; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>The configuration: Akka's logging off, stopping supervision, and the simulation dispatchers.</summary>
    public static Config Akka { get; } = ConfigurationFactory.ParseString(BuildHocon());

    /// <summary>The process-wide actor system (created on first use with <see cref="Akka"/>).</summary>
    public static ActorSystem Shared => SharedSystem.Value;

    /// <summary>
    /// Starts the shared actor system on a thread-pool thread and runs a tiny simulation on it, so that Akka's start-up and
    /// the first compilation of its delivery paths overlap the caller's own work (building or loading a guest).
    /// </summary>
    public static void Prewarm() => ThreadPool.UnsafeQueueUserWorkItem(static _ => WarmUp(), null);

    private static void WarmUp()
    {
        try
        {
            using var simulation = new Simulation("warmup");
            var actor = simulation.ActorOf(Props.Create(() => new WarmupActor()));
            simulation.Tell(actor, 16);
            simulation.RunUntilIdle();
        }
        catch (Exception)
        {
            // Only a head start: whatever failed here fails again, with its report, where the command uses Akka.
        }
    }

    /// <summary>The dispatcher of deterministic lane <paramref name="lane"/>.</summary>
    /// <param name="lane">0 to <see cref="Lanes"/> − 1.</param>
    /// <returns>The dispatcher id.</returns>
    public static string LaneDispatcher(int lane) => "smp.lane-" + lane.ToString(CultureInfo.InvariantCulture);

    /// <summary>Counts down with self-sends and a timer: the paths every simulation uses.</summary>
    private sealed class WarmupActor : SimActor
    {
        public WarmupActor()
        {
            Receive<int>(n =>
            {
                if (n > 0) Sim.Tell(Self, n - 1);
                else Timers.StartSingle("done", "done", SimTime.Microsecond);
            });
            Receive<string>(_ => { });
        }
    }

    private static string BuildHocon()
    {
        var hocon = new System.Text.StringBuilder();
        hocon.Append("""
            akka {
              loglevel = OFF
              stdout-loglevel = OFF
              loggers = []
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              actor.guardian-supervisor-strategy = "Akka.Actor.StoppingSupervisorStrategy"
              coordinated-shutdown.run-by-clr-shutdown-hook = off
            }
            smp {

            """);
        for (var lane = 0; lane < Lanes; lane++)
        {
            hocon.Append(CultureInfo.InvariantCulture, $"  lane-{lane} {{ type = ForkJoinDispatcher, throughput = 64, dedicated-thread-pool {{ thread-count = 1, threadtype = background }} }}\n");
        }

        hocon.Append(CultureInfo.InvariantCulture, $"  parallel-dispatcher {{ type = ForkJoinDispatcher, throughput = 64, dedicated-thread-pool {{ thread-count = {Math.Max(1, Environment.ProcessorCount)}, threadtype = background }} }}\n");
        hocon.Append("}\n");
        return hocon.ToString();
    }
}
