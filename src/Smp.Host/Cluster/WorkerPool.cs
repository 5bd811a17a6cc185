using System.Collections.Concurrent;
using Akka.Actor;
using Smp.Host.Stress;

namespace Smp.Host.Cluster;

/// <summary>
/// A worker's runner threads: each boots its own campaign machine and runs the ranges it is given, one at a time, telling
/// the worker actor when it is ready and when a range is done. The threads outlive the actor system (a worker that lost
/// its coordinator rejoins with a new one), so the machines are booted once per campaign; they live in the process-wide
/// simulation actor system, not the cluster's.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Slot[] _slots;
    private StressCampaignSpec? _spec;
    private volatile IActorRef _actor = ActorRefs.Nobody;

    /// <summary>A pool of <paramref name="threads"/> runners (started by <see cref="Prepare"/>).</summary>
    public WorkerPool(int threads) => _slots = [.. Enumerable.Range(0, threads).Select(i => new Slot(this, i))];

    /// <summary>The number of runner threads.</summary>
    public int Threads => _slots.Length;

    /// <summary>The actor told about ready runners and finished ranges.</summary>
    public IActorRef Actor
    {
        get => _actor;
        set => _actor = value;
    }

    /// <summary>Boots the runners for <paramref name="spec"/> (again only if the campaign's machine differs).</summary>
    /// <returns>The runners already ready (the others report when they are).</returns>
    public IReadOnlyList<int> Prepare(StressCampaignSpec spec)
    {
        if (_spec is { } current && current.Handlers == spec.Handlers && current.Cpus == spec.Cpus)
        {
            _spec = spec;
            return [.. _slots.Where(s => s.Ready).Select(s => s.Index)];
        }
        _spec = spec;
        foreach (var s in _slots) s.Boot(spec);
        return [];
    }

    /// <summary>Gives runner <paramref name="slot"/> the range <paramref name="lease"/> of <paramref name="campaign"/>.</summary>
    public void Start(int slot, string campaign, long lease, SeedSpan span) => _slots[slot].Start(campaign, lease, span, _spec!.Scenario);

    /// <summary>Stops the range <paramref name="lease"/> after its current seed (its runner reports the seeds it ran).</summary>
    public void Cancel(long lease)
    {
        foreach (var s in _slots) s.Cancel(lease);
    }

    /// <summary>Stops every range after its current seed.</summary>
    public void CancelAll()
    {
        foreach (var s in _slots) s.Cancel(null);
    }

    /// <summary>Whether no runner has a range.</summary>
    public bool Idle => _slots.All(s => !s.Busy);

    /// <summary>Stops the runners and frees their machines.</summary>
    public void Dispose()
    {
        foreach (var s in _slots) s.Dispose();
    }

    /// <summary>A runner is ready for a range.</summary>
    /// <param name="Slot">The runner.</param>
    internal sealed record SlotReady(int Slot);

    /// <summary>A runner's range ended.</summary>
    /// <param name="Slot">The runner.</param>
    /// <param name="Campaign">The campaign the range belongs to (a coordinator restarted since has another).</param>
    /// <param name="Lease">The range's lease.</param>
    /// <param name="Seeds">Seeds run (all of the range unless it was cancelled).</param>
    /// <param name="Record">Their journal record, or null when none ran.</param>
    internal sealed record SlotDone(int Slot, string Campaign, long Lease, ulong Seeds, byte[]? Record);

    /// <summary>A runner could not boot its machine.</summary>
    /// <param name="Slot">The runner.</param>
    /// <param name="Error">Why.</param>
    internal sealed record SlotFailed(int Slot, Exception Error);

    private sealed class Slot(WorkerPool pool, int index) : IDisposable
    {
        private readonly BlockingCollection<Action<StressCampaign>> _jobs = [];
        private readonly Lock _gate = new();
        private Thread? _thread;
        private CancellationTokenSource? _current;
        private long _lease;
        private StressCampaignSpec? _booting;

        public int Index => index;

        public bool Ready { get; private set; }

        public bool Busy
        {
            get
            {
                lock (_gate) return _current is not null;
            }
        }

        public void Boot(StressCampaignSpec spec)
        {
            Ready = false;
            _booting = spec;
            if (_thread is not null) return; // the running thread re-boots when it sees a new spec
            _thread = new Thread(Loop) { Name = $"worker-{index}", IsBackground = true };
            _thread.Start();
        }

        public void Start(string campaignId, long lease, SeedSpan span, string scenario)
        {
            var stop = new CancellationTokenSource();
            lock (_gate)
            {
                _current = stop;
                _lease = lease;
            }
            _jobs.Add(campaign =>
            {
                (ulong count, byte[]? record) = (0, null);
                try
                {
                    (count, record) = RangeRun.Run(campaign, scenario, span, stop.Token);
                }
                finally
                {
                    lock (_gate) _current = null;
                    pool.Actor.Tell(new SlotDone(index, campaignId, lease, count, record));
                }
            });
        }

        public void Cancel(long? lease)
        {
            lock (_gate)
                if (_current is not null && (lease is null || lease == _lease)) _current.Cancel();
        }

        public void Dispose()
        {
            Cancel(null);
            _jobs.CompleteAdding();
            _thread?.Join();
        }

        private void Loop()
        {
            StressCampaign? campaign = null;
            StressCampaignSpec? booted = null;
            try
            {
                while (true)
                {
                    if (!ReferenceEquals(_booting, booted))
                    {
                        var want = _booting!;
                        if (booted is null || booted.Handlers != want.Handlers || booted.Cpus != want.Cpus)
                        {
                            campaign?.Dispose();
                            campaign = new StressCampaign(want.Handlers, want.Cpus);
                        }
                        booted = want;
                        Ready = true;
                        pool.Actor.Tell(new SlotReady(index));
                    }
                    if (!_jobs.TryTake(out var job, 100)) { if (_jobs.IsCompleted) return; continue; }
                    job(campaign!);
                }
            }
            catch (Exception ex)
            {
                pool.Actor.Tell(new SlotFailed(index, ex));
            }
            finally
            {
                campaign?.Dispose();
            }
        }
    }
}
