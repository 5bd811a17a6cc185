using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Smp.Host.Commands;
using Smp.Host.Stress;

namespace Smp.Host.Cluster;

/// <summary>
/// <c>smp stress --cluster HOST:PORT</c>: this process becomes the campaign's seed node and hosts the
/// <see cref="CampaignCoordinator"/> as a cluster singleton on role <c>coordinator</c> (workers find it through a singleton
/// proxy, whatever its address); it runs until every seed is in the report or it is stopped.
/// </summary>
/// <remarks>
/// The campaign's state is the report and its journal on this machine's disk, so the singleton has no second home: when
/// this process dies, the ranges in flight are lost (workers drop their current ranges once they see the coordinator
/// gone) and everything journaled stays in <c>REPORT.journal</c>. Started again with <c>--resume REPORT</c> at the same
/// address, the coordinator continues with the seeds the journal lacks, and workers still waiting to rejoin (see
/// <c>smp worker --wait</c>) pick the campaign up again.
/// </remarks>
internal static class ClusterCoordinator
{
    /// <summary>Runs <paramref name="report"/>'s campaign over the cluster until it completes or <paramref name="stop"/> fires.</summary>
    /// <param name="report">The campaign's report (fresh or resumed).</param>
    /// <param name="endpoint">Where to listen.</param>
    /// <param name="log">Writes one line on stderr (above the progress bar when it is live).</param>
    /// <param name="progress">The progress display.</param>
    /// <param name="stop">SIGINT/SIGTERM.</param>
    /// <returns>True when every seed ran.</returns>
    public static bool Run(StressReport report, ClusterEndpoint endpoint, Action<string> log, StressProgress.Sink progress, CancellationToken stop)
    {
        var system = ClusterConfig.Create(ClusterConfig.CoordinatorRole, endpoint.Host, endpoint.Port);
        try
        {
            var self = ClusterConfig.SelfAddress(system);
            var host = new CoordinatorHost(report, (d, v, w) => progress(d, v, w), log);
            host.Log($"coordinator listening at {self}; start workers with: smp worker --join {self.Host}:{self.Port}");
            Akka.Cluster.Cluster.Get(system).Join(self);
            system.ActorOf(ClusterSingletonManager.Props(
                Props.Create(() => new CampaignCoordinator(host)),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole(ClusterConfig.CoordinatorRole)), ClusterConfig.CoordinatorName);

            using (stop.Register(() => host.Actor.ContinueWith(t => t.Result.Tell(CampaignCoordinator.Stop.Instance), TaskScheduler.Default)))
            {
                bool complete = host.Outcome.GetAwaiter().GetResult();
                host.Log(complete
                    ? FormattableString.Invariant($"campaign complete: {report.CompletedSeeds} seeds in {host.Elapsed.TotalSeconds:F1} s")
                    : FormattableString.Invariant($"campaign stopped: {report.CompletedSeeds} seeds completed"));
                return complete;
            }
        }
        finally
        {
            // Leave the cluster (the workers were told the campaign is over) and let remoting deliver that.
            Akka.Actor.CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance).Wait(TimeSpan.FromSeconds(5));
            system.WhenTerminated.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
