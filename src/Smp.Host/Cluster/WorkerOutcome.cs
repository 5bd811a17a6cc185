namespace Smp.Host.Cluster;

/// <summary>How a worker's session with a coordinator ended.</summary>
internal enum WorkerOutcome
{
    /// <summary>Every seed of the campaign ran.</summary>
    Complete,

    /// <summary>The campaign was stopped (by the coordinator or by a signal to this worker).</summary>
    Stopped,

    /// <summary>The coordinator's node left the cluster, or this node was downed: rejoin.</summary>
    CoordinatorLost,

    /// <summary>The cluster could not be joined within the time allowed.</summary>
    JoinFailed,
}
