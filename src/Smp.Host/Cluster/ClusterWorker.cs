using Akka.Actor;

namespace Smp.Host.Cluster;

/// <summary>
/// <c>smp worker --join HOST:PORT</c>: joins the campaign cluster whose coordinator listens at HOST:PORT and runs ranges of
/// seeds on its threads until the campaign is over. A worker that loses its coordinator (the coordinator's process died,
/// or this node was cut off and downed) drops its current ranges and joins again, with a new actor system, for as long as
/// <c>--wait</c> allows, so a coordinator restarted with <c>--resume</c> finds its workers again.
/// </summary>
internal static class ClusterWorker
{
    /// <summary>Runs the worker; returns its exit code.</summary>
    /// <param name="coordinator">The coordinator's address.</param>
    /// <param name="threads">Runner threads.</param>
    /// <param name="host">The address to listen on (reachable by the coordinator), or null for the one that routes toward it.</param>
    /// <param name="wait">How long to keep trying to reach a coordinator, at the start and after losing one.</param>
    /// <param name="log">Writes one line on stderr.</param>
    /// <param name="stop">SIGINT/SIGTERM.</param>
    public static int Run(ClusterEndpoint coordinator, int threads, string? host, TimeSpan wait, Action<string> log, CancellationToken stop)
    {
        using var pool = new WorkerPool(threads);
        string listen = host ?? ClusterConfig.LocalAddressToward(coordinator);
        while (true)
        {
            var outcome = Session(coordinator, pool, listen, wait, log, stop);
            switch (outcome)
            {
                case WorkerOutcome.Complete:
                    return ExitCodes.Ok;
                case WorkerOutcome.Stopped:
                    return ExitCodes.Interrupted;
                case WorkerOutcome.JoinFailed:
                    log($"no coordinator answered at {coordinator} within {wait.TotalSeconds:F0} s");
                    return ExitCodes.CoordinatorUnreachable;
                default:
                    log($"rejoining {coordinator} (for at most {wait.TotalSeconds:F0} s)");
                    break;
            }
        }
    }

    // One membership of the cluster: from joining to the end of the campaign, the loss of the coordinator, or a stop.
    private static WorkerOutcome Session(ClusterEndpoint coordinator, WorkerPool pool, string listen, TimeSpan wait, Action<string> log, CancellationToken stop)
    {
        var system = ClusterConfig.Create(ClusterConfig.WorkerRole, listen, 0, wait);
        var outcome = new TaskCompletionSource<WorkerOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            bool joined = false;
            cluster.RegisterOnMemberUp(() => joined = true);
            // The join gave up (shutdown-after-unsuccessful-join-seed-nodes), or this node was downed.
            system.WhenTerminated.ContinueWith(_ => outcome.TrySetResult(joined ? WorkerOutcome.CoordinatorLost : WorkerOutcome.JoinFailed),
                TaskScheduler.Default);
            var actor = system.ActorOf(Props.Create(() => new WorkerActor(pool, log, outcome)), "worker");
            cluster.JoinSeedNodes([ClusterConfig.AddressOf(coordinator)]);
            using (stop.Register(() => actor.Tell(WorkerActor.Stop.Instance)))
            {
                var result = outcome.Task.GetAwaiter().GetResult();
                if (result == WorkerOutcome.CoordinatorLost) pool.CancelAll();
                return result;
            }
        }
        finally
        {
            // Leave gracefully: the coordinator sees the node removed at once instead of waiting for the failure detector.
            CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance).Wait(TimeSpan.FromSeconds(5));
            system.WhenTerminated.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
