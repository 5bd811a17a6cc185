using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using Smp.Host.Stress;

namespace Smp.Host.Cluster;

/// <summary>
/// A worker node's actor: introduces the node to the coordinator (through a cluster-singleton proxy, so it needs no
/// address for it), then for each runner thread pulls a range, runs it on the <see cref="WorkerPool"/>, and sends the
/// range's journal record back in pieces. It ends the worker's session when the campaign is over, when the coordinator's
/// node leaves the cluster, or when it is told to stop (SIGINT, SIGTERM: the ranges running are cut after their current
/// seed and what they ran is sent first).
/// </summary>
internal sealed class WorkerActor : ReceiveActor, IWithTimers
{
    /// <summary>The largest piece of a result in one message (Akka.Remote's default frame is 128,000 bytes).</summary>
    public const int PartBytes = 64 * 1024;

    private readonly WorkerPool _pool;
    private readonly Action<string> _log;
    private readonly TaskCompletionSource<WorkerOutcome> _outcome;
    private readonly string _node;
    private readonly IActorRef _coordinator;
    private readonly Dictionary<long, SeedSpan> _running = [];
    private string? _campaign;
    private bool _stopping;

    /// <summary>Creates the actor of a worker session.</summary>
    public WorkerActor(WorkerPool pool, Action<string> log, TaskCompletionSource<WorkerOutcome> outcome)
    {
        _pool = pool;
        _log = log;
        _outcome = outcome;
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        _node = ClusterConfig.NodeKey(cluster.SelfUniqueAddress);
        _coordinator = Context.ActorOf(ClusterSingletonProxy.Props($"/user/{ClusterConfig.CoordinatorName}",
            ClusterSingletonProxySettings.Create(Context.System).WithRole(ClusterConfig.CoordinatorRole)), "coordinator-proxy");

        Receive<SayHello>(_ => _coordinator.Tell(new Hello(_node, _pool.Threads)));
        Receive<Welcome>(OnWelcome);
        Receive<Assign>(OnAssign);
        Receive<Cancel>(c => { if (c.Campaign == _campaign) _pool.Cancel(c.Lease); });
        Receive<Finished>(f =>
        {
            if (f.Campaign != _campaign) return;
            _pool.CancelAll();
            _log(f.Complete ? "the campaign is complete" : "the coordinator stopped the campaign");
            _outcome.TrySetResult(f.Complete ? WorkerOutcome.Complete : WorkerOutcome.Stopped);
        });
        Receive<WorkerPool.SlotReady>(r => { if (_campaign is not null && !_stopping) _coordinator.Tell(new Pull(_campaign, _node, r.Slot)); });
        Receive<WorkerPool.SlotDone>(OnSlotDone);
        Receive<WorkerPool.SlotFailed>(f => _outcome.TrySetException(f.Error));
        Receive<ClusterEvent.MemberUp>(m =>
        {
            if (m.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress))
            {
                _log($"joined the cluster as {_node}");
                Timers.StartPeriodicTimer("hello", SayHello.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(1));
            }
        });
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            if (!m.Member.HasRole(ClusterConfig.CoordinatorRole)) return;
            _pool.CancelAll();
            _log($"the coordinator {m.Member.Address} left the cluster");
            _outcome.TrySetResult(WorkerOutcome.CoordinatorLost);
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<Stop>(_ =>
        {
            _stopping = true;
            _pool.CancelAll();
            if (_pool.Idle) _outcome.TrySetResult(WorkerOutcome.Stopped);
        });
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        _pool.Actor = Self;
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent));
    }

    /// <inheritdoc />
    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private void OnWelcome(Welcome w)
    {
        if (w.Campaign == _campaign) return;
        Timers.Cancel("hello");
        _campaign = w.Campaign;
        using var doc = JsonDocument.Parse(w.Spec);
        var spec = StressCampaignSpec.ReadJson(doc.RootElement);
        _log($"campaign: handlers {spec.HandlersName}, {spec.Cpus} CPUs, scenario {spec.Scenario}, seeds {spec.First}..{spec.Last}, shard {spec.ShardName}");
        foreach (int slot in _pool.Prepare(spec)) _coordinator.Tell(new Pull(_campaign, _node, slot));
    }

    private void OnAssign(Assign a)
    {
        if (a.Campaign != _campaign || _stopping) return;
        var span = new SeedSpan(a.First, a.Last, a.Step);
        _running[a.Lease] = span;
        _log($"range {span} started on thread {a.Slot}");
        _pool.Start(a.Slot, a.Campaign, a.Lease, span);
    }

    private void OnSlotDone(WorkerPool.SlotDone d)
    {
        if (_campaign is null) return;
        if (d.Campaign != _campaign)
        {
            // A range of the coordinator this worker lost: its seeds were not journaled there, the new one hands them out again.
            if (!_stopping) _coordinator.Tell(new Pull(_campaign, _node, d.Slot));
            return;
        }
        var data = d.Record ?? [];
        int count = Math.Max(1, (data.Length + PartBytes - 1) / PartBytes);
        for (int i = 0; i < count; i++)
        {
            int start = i * PartBytes, length = Math.Min(PartBytes, data.Length - start);
            _coordinator.Tell(new Part(_campaign, _node, d.Lease, i, count, d.Seeds, data.AsSpan(start, Math.Max(0, length)).ToArray()));
        }
        _log(_running.Remove(d.Lease, out var span) && d.Seeds == span.Count
            ? $"range {span} done on thread {d.Slot}"
            : $"range {span} cut after {d.Seeds} seeds on thread {d.Slot}");
        if (_stopping)
        {
            if (_pool.Idle) _outcome.TrySetResult(WorkerOutcome.Stopped);
        }
        else
        {
            _coordinator.Tell(new Pull(_campaign, _node, d.Slot));
        }
    }

    /// <summary>Stop: cut the ranges running after their current seed, send what they ran, and end the session.</summary>
    internal sealed class Stop
    {
        /// <summary>The message.</summary>
        public static readonly Stop Instance = new();
    }

    private sealed class SayHello
    {
        public static readonly SayHello Instance = new();
    }
}
