using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Smp.Host.Commands;
using Smp.Host.Stress;

namespace Smp.Host.Cluster;

/// <summary>
/// <c>smp stress --cluster HOST:PORT</c>: this process becomes the campaign's seed node and hosts the
/// <see cref="CampaignCoordinator"/> as a cluster singleton on role <c>coordinator</c> (workers find it through a singleton
/// proxy, whatever its address); it runs until every seed is in the report or it is stopped. Disposing it leaves the
/// cluster, which takes a few gossip rounds (a second or more on a loaded machine), so the caller writes the report first.
/// </summary>
/// <remarks>
/// The campaign's state is the report and its journal on this machine's disk, so the singleton has no second home: when
/// this process dies, the ranges in flight are lost (workers drop their current ranges once they see the coordinator
/// gone) and everything journaled stays in <c>REPORT.journal</c>. Started again with <c>--resume REPORT</c> at the same
/// address, the coordinator continues with the seeds the journal lacks, and workers still waiting to rejoin (see
/// <c>smp worker --wait</c>) pick the campaign up again.
/// </remarks>
internal sealed class ClusterCoordinator : IDisposable
{
    private readonly ActorSystem _system;

    /// <summary>Starts a campaign's seed node listening on <paramref name="endpoint"/>.</summary>
    /// <exception cref="ClusterBindException">The address cannot be listened on.</exception>
    public ClusterCoordinator(ClusterEndpoint endpoint) =>
        _system = ClusterConfig.Create(ClusterConfig.CoordinatorRole, endpoint.Host, endpoint.Port);

    /// <summary>Runs <paramref name="report"/>'s campaign (fresh or resumed) over the cluster until it completes or <paramref name="stop"/> fires.</summary>
    /// <param name="report">The campaign's report.</param>
    /// <param name="log">Writes one line on stderr (above the progress bar when it is live).</param>
    /// <param name="progress">The progress display.</param>
    /// <param name="stop">SIGINT/SIGTERM.</param>
    /// <returns>True when every seed ran.</returns>
    public bool Run(StressReport report, Action<string> log, StressProgress.Sink progress, CancellationToken stop)
    {
        var self = ClusterConfig.SelfAddress(_system);
        var host = new CoordinatorHost(report, (d, v, w) => progress(d, v, w), log);
        host.Log($"coordinator listening at {self}; start workers with: smp worker --join {self.Host}:{self.Port}");
        Akka.Cluster.Cluster.Get(_system).Join(self);
        _system.ActorOf(ClusterSingletonManager.Props(
            Props.Create(() => new CampaignCoordinator(host)),
            PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(_system).WithRole(ClusterConfig.CoordinatorRole)), ClusterConfig.CoordinatorName);

        using (stop.Register(() => host.Actor.ContinueWith(t => t.Result.Tell(CampaignCoordinator.Stop.Instance), TaskScheduler.Default)))
        {
            bool complete = host.Outcome.GetAwaiter().GetResult();
            host.Log(complete
                ? FormattableString.Invariant($"campaign complete: {report.CompletedSeeds} seeds in {host.Elapsed.TotalSeconds:F1} s")
                : FormattableString.Invariant($"campaign stopped: {report.CompletedSeeds} seeds completed"));
            return complete;
        }
    }

    /// <summary>Leaves the cluster (the workers were told the campaign is over) and lets remoting deliver that.</summary>
    public void Dispose()
    {
        Akka.Actor.CoordinatedShutdown.Get(_system).Run(CoordinatedShutdown.ClrExitReason.Instance).Wait(TimeSpan.FromSeconds(5));
        _system.WhenTerminated.Wait(TimeSpan.FromSeconds(5));
    }
}
