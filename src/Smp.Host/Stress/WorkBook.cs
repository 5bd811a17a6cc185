namespace Smp.Host.Stress;

/// <summary>
/// Who runs which seeds of a campaign: the seeds waiting, the ranges leased to runners (threads of this process, or
/// worker threads on other nodes), and the seeds done, all as indices into the campaign's target span. Runners pull:
/// each asks for a range when it has none, so a fast runner simply asks more often. Ranges shrink as the campaign
/// nears its end (guided self-scheduling: a quarter of the waiting seeds per runner, between <see cref="MinRange"/> and
/// <see cref="MaxRange"/>), and once nothing waits an idle runner gets a backup copy of the oldest range still out, so a
/// slow or dying runner does not hold the end; the first result wins and the other copy is cancelled. Not thread-safe:
/// the coordinator actor owns one, the one-process run locks around it.
/// </summary>
internal sealed class WorkBook
{
    /// <summary>The largest range handed out (a few seconds of one thread's work).</summary>
    public const ulong MaxRange = 4096;

    /// <summary>The smallest range handed out while more seeds wait.</summary>
    public const ulong MinRange = 64;

    private readonly SeedSpan? _target;
    private readonly IndexSet _pending, _done;
    private readonly SortedDictionary<long, Lease> _leases = [];
    private long _nextId = 1;

    /// <summary>A book for the campaign whose target is <paramref name="target"/> with <paramref name="remaining"/> seeds (indices) still to run.</summary>
    public WorkBook(SeedSpan? target, IndexSet remaining)
    {
        _target = target;
        Total = target?.Count ?? 0;
        _pending = remaining.Clone();
        _done = IndexSet.Of(0, Total);
        _done.Remove(remaining);
    }

    /// <summary>Runners (threads) working on the campaign, for sizing ranges.</summary>
    public int Runners { get; set; } = 1;

    /// <summary>Seeds in the campaign.</summary>
    public ulong Total { get; }

    /// <summary>Seeds done.</summary>
    public ulong Done => _done.Count;

    /// <summary>Whether every seed is done.</summary>
    public bool Finished => _done.Count == Total;

    /// <summary>Seeds waiting for a runner.</summary>
    public ulong Waiting => _pending.Count;

    /// <summary>The ranges out.</summary>
    public IEnumerable<Lease> Leases => _leases.Values;

    /// <summary>The seeds of a lease.</summary>
    public SeedSpan SpanOf(Lease lease) => _target!.Value.Slice(lease.Lo, lease.Hi);

    /// <summary>
    /// The next range for the runner <paramref name="slot"/> of <paramref name="node"/>: waiting seeds, or (with
    /// <paramref name="backups"/>) a copy of the oldest range out that has no copy yet; null when there is nothing to do.
    /// </summary>
    public Lease? Next(string node, int slot, bool backups)
    {
        if (_pending.Count > 0)
        {
            ulong size = Math.Clamp(_pending.Count / (4 * (ulong)Math.Max(1, Runners)), MinRange, MaxRange);
            var (lo, hi) = _pending.TakeFirst(size)!.Value;
            return Add(new Lease(_nextId++, node, slot, lo, hi, null));
        }
        if (!backups) return null;
        foreach (var l in _leases.Values)
        {
            if (l.Suspect || l.BackedUp || l.BackupOf is not null || (l.Node == node && l.Slot == slot)) continue;
            l.BackedUp = true;
            return Add(new Lease(_nextId++, node, slot, l.Lo, l.Hi, l.Id));
        }
        return null;
    }

    /// <summary>The lease <paramref name="id"/>, or null when it has ended.</summary>
    public Lease? Find(long id) => _leases.GetValueOrDefault(id);

    /// <summary>
    /// Ends a lease whose runner ran its first <paramref name="count"/> seeds (all of them, or fewer when it was
    /// stopped): when <paramref name="accepted"/> they are done; whatever of the range is left and covered by no other
    /// lease waits again.
    /// </summary>
    /// <returns>The other leases now redundant (they ran seeds just done): the caller cancels them.</returns>
    public IReadOnlyList<Lease> Finish(long id, ulong count, bool accepted)
    {
        if (!_leases.Remove(id, out var lease)) return [];
        ulong end = Math.Min(lease.Hi, lease.Lo + count);
        if (accepted)
        {
            _done.Add(lease.Lo, end);
            _pending.Remove(lease.Lo, end); // queued again while its runner was unreachable, and done after all
        }
        Release(lease);
        var redundant = new List<Lease>();
        if (accepted)
            foreach (var l in _leases.Values)
                if (l.Lo < end && lease.Lo < l.Hi && _done.Intersects(l.Lo, l.Hi)) redundant.Add(l);
        return redundant;
    }

    /// <summary>Marks <paramref name="node"/>'s leases suspect (the node is unreachable): their seeds wait again, but a late result still counts.</summary>
    /// <returns>The leases concerned.</returns>
    public IReadOnlyList<Lease> Suspect(string node)
    {
        var concerned = _leases.Values.Where(l => l.Node == node && !l.Suspect).ToList();
        foreach (var l in concerned)
        {
            l.Suspect = true;
            Release(l);
        }
        return concerned;
    }

    /// <summary>Trusts <paramref name="node"/>'s leases again (it became reachable); seeds that wait meanwhile may run twice, which is harmless.</summary>
    public void Trust(string node)
    {
        foreach (var l in _leases.Values) if (l.Node == node) l.Suspect = false;
    }

    /// <summary>Ends every lease of <paramref name="node"/> (it left, was downed or quarantined): their seeds wait again.</summary>
    /// <returns>The leases ended.</returns>
    public IReadOnlyList<Lease> Drop(string node)
    {
        var dropped = _leases.Values.Where(l => l.Node == node).ToList();
        foreach (var l in dropped)
        {
            _leases.Remove(l.Id);
            Release(l);
        }
        return dropped;
    }

    private Lease Add(Lease lease)
    {
        _leases.Add(lease.Id, lease);
        return lease;
    }

    // What of the lease's range is neither done, waiting, nor covered by a trusted lease, waits again.
    private void Release(Lease lease)
    {
        var uncovered = IndexSet.Of(lease.Lo, lease.Hi);
        uncovered.Remove(_done);
        uncovered.Remove(_pending);
        foreach (var l in _leases.Values)
            if (!l.Suspect && l.Id != lease.Id) uncovered.Remove(l.Lo, l.Hi);
        _pending.Add(uncovered);
        if (lease.BackupOf is { } original && _leases.TryGetValue(original, out var o)) o.BackedUp = false;
    }

    /// <summary>A range out to a runner.</summary>
    /// <param name="Id">The lease's number.</param>
    /// <param name="Node">The runner's node (its address; "local" in one process).</param>
    /// <param name="Slot">The runner's thread on its node.</param>
    /// <param name="Lo">First seed index.</param>
    /// <param name="Hi">One past the last seed index.</param>
    /// <param name="BackupOf">The lease this one copies, or null.</param>
    internal sealed record Lease(long Id, string Node, int Slot, ulong Lo, ulong Hi, long? BackupOf)
    {
        /// <summary>Whether the runner's node is unreachable.</summary>
        public bool Suspect { get; set; }

        /// <summary>Whether a backup copy of this lease is out.</summary>
        public bool BackedUp { get; set; }
    }
}
