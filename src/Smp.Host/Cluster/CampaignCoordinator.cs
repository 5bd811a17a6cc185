using Akka.Actor;
using Akka.Cluster;
using Smp.Host.Stress;

namespace Smp.Host.Cluster;

/// <summary>
/// The campaign's coordinator, a cluster singleton: it owns the <see cref="StressReport"/> (and so the journal) and the
/// <see cref="WorkBook"/>, hands ranges to the worker threads that pull them, and takes their results. A worker that
/// becomes unreachable has its ranges queued again at once (a late result still counts if it arrives first); a worker
/// that is downed, removed or quarantined is forgotten, and anything it sends afterwards is ignored. Results are taken
/// by seed, once: a range whose seeds are already in the report is dropped, so ranges run twice never count twice.
/// </summary>
internal sealed class CampaignCoordinator : ReceiveActor, IWithTimers
{
    /// <summary>How long a stopping coordinator waits for the workers' cancelled ranges (the seeds they ran still count).</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromMilliseconds(600);

    private readonly CoordinatorHost _host;
    private readonly WorkBook _book;
    private readonly Dictionary<string, (IActorRef Ref, int Threads)> _workers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _gone = new(StringComparer.Ordinal);
    private readonly Dictionary<long, List<byte[]>> _parts = [];
    private readonly List<(IActorRef Ref, string Node, int Slot)> _waiting = [];
    private bool _stopping, _over;

    /// <summary>Creates the coordinator of <paramref name="host"/>'s campaign.</summary>
    public CampaignCoordinator(CoordinatorHost host)
    {
        _host = host;
        _book = new WorkBook(host.Report.Spec!.Target, host.Report.Remaining());
        Receive<Hello>(OnHello);
        Receive<Pull>(OnPull);
        Receive<Part>(OnPart);
        Receive<ClusterEvent.UnreachableMember>(m => OnUnreachable(ClusterConfig.NodeKey(m.Member.UniqueAddress)));
        Receive<ClusterEvent.ReachableMember>(m => _book.Trust(ClusterConfig.NodeKey(m.Member.UniqueAddress)));
        Receive<ClusterEvent.MemberDowned>(m => OnGone(ClusterConfig.NodeKey(m.Member.UniqueAddress), "downed"));
        Receive<ClusterEvent.MemberRemoved>(m => OnGone(ClusterConfig.NodeKey(m.Member.UniqueAddress), "removed"));
        Receive<Akka.Remote.QuarantinedEvent>(q => OnGone(ClusterConfig.NodeKey(new UniqueAddress(q.Address, q.Uid)), "quarantined"));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<Stop>(_ => BeginStop());
        Receive<StopDeadline>(_ => End(complete: false));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
        Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.QuarantinedEvent));
        _host.Attach(Self);
        if (_book.Finished) End(complete: true);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void OnHello(Hello h)
    {
        if (_gone.Contains(h.Node)) return;
        if (_over || _stopping)
        {
            Sender.Tell(new Finished(_host.CampaignId, Complete: _over && _book.Finished));
            return;
        }
        if (_workers.TryAdd(h.Node, (Sender, h.Threads)))
        {
            _host.Log($"worker {h.Node} joined with {h.Threads} thread{(h.Threads == 1 ? "" : "s")}");
            _book.Runners = _workers.Values.Sum(w => w.Threads);
            Progress();
        }
        Sender.Tell(new Welcome(_host.CampaignId, _host.SpecJson));
    }

    private void OnPull(Pull p)
    {
        if (p.Campaign != _host.CampaignId || !_workers.ContainsKey(p.Node) || _stopping || _over) return;
        // The thread asks only after sending its result: a lease of its still out means the result was lost on the way.
        foreach (var lost in _book.Leases.Where(l => l.Node == p.Node && l.Slot == p.Slot).ToList())
        {
            _parts.Remove(lost.Id);
            _book.Finish(lost.Id, 0, accepted: false);
        }
        _waiting.Add((Sender, p.Node, p.Slot));
        Serve();
    }

    private void OnPart(Part p)
    {
        // Once over, the report is being written or is written: nothing more goes into it.
        if (p.Campaign != _host.CampaignId || _over) return;
        var lease = _book.Find(p.Lease);
        if (_gone.Contains(p.Node) || lease is null || lease.Node != p.Node)
        {
            if (p.Index == p.Count - 1 && _gone.Contains(p.Node)) _host.Log($"late result of a range from {p.Node}, which is gone: ignored");
            return;
        }
        if (!_parts.TryGetValue(p.Lease, out var pieces)) _parts[p.Lease] = pieces = [];
        pieces.Add(p.Data);
        if (pieces.Count < p.Count) return;
        _parts.Remove(p.Lease);

        bool accepted = false;
        if (p.Seeds > 0)
        {
            var record = new byte[pieces.Sum(x => x.Length)];
            int at = 0;
            foreach (var x in pieces)
            {
                x.CopyTo(record, at);
                at += x.Length;
            }
            try
            {
                accepted = _host.Report.Accept(record, _book.SpanOf(lease).Slice(0, Math.Min(p.Seeds, lease.Hi - lease.Lo)));
            }
            catch (FormatException ex)
            {
                _host.Log($"a result from {p.Node} is malformed ({ex.Message}): its range is queued again");
            }
        }
        foreach (var redundant in _book.Finish(lease.Id, p.Seeds, accepted))
            if (_workers.TryGetValue(redundant.Node, out var w)) w.Ref.Tell(new Cancel(_host.CampaignId, redundant.Id));
        Progress();
        if (_book.Finished) End(complete: true);
        else if (_stopping && !_book.Leases.Any()) End(complete: false);
        else Serve();
    }

    private void OnUnreachable(string node)
    {
        if (!_workers.ContainsKey(node)) return;
        var leases = _book.Suspect(node);
        _host.Log($"worker {node} unreachable" + Requeued(leases));
        Serve();
    }

    private void OnGone(string node, string how)
    {
        if (!_workers.Remove(node)) return;
        _gone.Add(node);
        _waiting.RemoveAll(w => w.Node == node);
        var leases = _book.Drop(node);
        foreach (var l in leases) _parts.Remove(l.Id);
        _book.Runners = Math.Max(1, _workers.Values.Sum(w => w.Threads));
        // Ranges of a worker that was unreachable first went back to the queue then.
        _host.Log($"worker {node} {how}" + Requeued([.. leases.Where(l => !l.Suspect)]));
        Progress();
        if (_stopping && !_book.Leases.Any()) End(complete: false);
        else Serve();
    }

    private string Requeued(IReadOnlyList<WorkBook.Lease> leases) => leases.Count == 0
        ? ""
        : ": range" + (leases.Count == 1 ? " " : "s ") + string.Join(", ", leases.Select(l => _book.SpanOf(l).ToString())) + " back to the queue";

    // Hands ranges to the threads waiting for one, while there are ranges (or backup copies) to hand out.
    private void Serve()
    {
        while (_waiting.Count > 0 && !_stopping && !_over)
        {
            var (worker, node, slot) = _waiting[0];
            if (_book.Next(node, slot, backups: true) is not { } lease) return;
            _waiting.RemoveAt(0);
            var span = _book.SpanOf(lease);
            worker.Tell(new Assign(_host.CampaignId, lease.Id, slot, span.First, span.Last, span.Step));
        }
    }

    private void BeginStop()
    {
        if (_stopping || _over) return;
        _stopping = true;
        _waiting.Clear();
        if (!_book.Leases.Any())
        {
            End(complete: false);
            return;
        }
        foreach (var l in _book.Leases)
            if (_workers.TryGetValue(l.Node, out var w)) w.Ref.Tell(new Cancel(_host.CampaignId, l.Id));
        Timers.StartSingleTimer("stop", StopDeadline.Instance, StopGrace);
    }

    private void End(bool complete)
    {
        if (_over) return;
        _over = true;
        Timers.CancelAll();
        foreach (var (worker, _) in _workers.Values) worker.Tell(new Finished(_host.CampaignId, complete));
        _host.Complete(complete);
    }

    private void Progress() => _host.Progress(_host.Report.CompletedSeeds, _host.Report.ViolationCount, _workers.Count);

    /// <summary>Stop the campaign: cancel the ranges out, keep what they ran, and end (SIGINT, SIGTERM).</summary>
    internal sealed class Stop
    {
        /// <summary>The message.</summary>
        public static readonly Stop Instance = new();
    }

    private sealed class StopDeadline
    {
        public static readonly StopDeadline Instance = new();
    }
}
