namespace Smp.Host.Stress;

/// <summary>
/// A set of seed indices kept as sorted, disjoint, non-adjacent intervals [Lo, Hi): what a campaign has done, what
/// waits to be handed out, what a lease still covers. A campaign's sets stay a handful of intervals (work is handed
/// out from the low end), so a list is enough. Written by hand: .NET has no interval set.
/// </summary>
internal sealed class IndexSet
{
    private readonly List<(ulong Lo, ulong Hi)> _runs = [];

    /// <summary>The intervals, in order.</summary>
    public IReadOnlyList<(ulong Lo, ulong Hi)> Runs => _runs;

    /// <summary>The number of indices.</summary>
    public ulong Count { get; private set; }

    /// <summary>Whether the set is empty.</summary>
    public bool IsEmpty => _runs.Count == 0;

    /// <summary>A set holding [<paramref name="lo"/>, <paramref name="hi"/>).</summary>
    public static IndexSet Of(ulong lo, ulong hi)
    {
        var s = new IndexSet();
        s.Add(lo, hi);
        return s;
    }

    /// <summary>A copy.</summary>
    public IndexSet Clone()
    {
        var s = new IndexSet();
        s._runs.AddRange(_runs);
        s.Count = Count;
        return s;
    }

    /// <summary>Adds [<paramref name="lo"/>, <paramref name="hi"/>).</summary>
    public void Add(ulong lo, ulong hi)
    {
        if (lo >= hi) return;
        int i = 0;
        while (i < _runs.Count && _runs[i].Hi < lo) i++;
        int j = i;
        while (j < _runs.Count && _runs[j].Lo <= hi)
        {
            lo = Math.Min(lo, _runs[j].Lo);
            hi = Math.Max(hi, _runs[j].Hi);
            Count -= _runs[j].Hi - _runs[j].Lo;
            j++;
        }
        _runs.RemoveRange(i, j - i);
        _runs.Insert(i, (lo, hi));
        Count += hi - lo;
    }

    /// <summary>Adds every interval of <paramref name="other"/>.</summary>
    public void Add(IndexSet other)
    {
        foreach (var (lo, hi) in other._runs) Add(lo, hi);
    }

    /// <summary>Removes [<paramref name="lo"/>, <paramref name="hi"/>).</summary>
    public void Remove(ulong lo, ulong hi)
    {
        if (lo >= hi) return;
        for (int i = 0; i < _runs.Count; i++)
        {
            var (a, b) = _runs[i];
            if (b <= lo || a >= hi) continue;
            _runs.RemoveAt(i);
            Count -= b - a;
            if (a < lo) { _runs.Insert(i++, (a, lo)); Count += lo - a; }
            if (b > hi) { _runs.Insert(i, (hi, b)); Count += b - hi; }
            else i--;
        }
    }

    /// <summary>Removes every interval of <paramref name="other"/>.</summary>
    public void Remove(IndexSet other)
    {
        foreach (var (lo, hi) in other._runs) Remove(lo, hi);
    }

    /// <summary>Whether any index of [<paramref name="lo"/>, <paramref name="hi"/>) is in the set.</summary>
    public bool Intersects(ulong lo, ulong hi)
    {
        foreach (var (a, b) in _runs)
            if (a < hi && lo < b) return true;
        return false;
    }

    /// <summary>Takes up to <paramref name="count"/> indices from the start of the lowest interval.</summary>
    /// <returns>The interval taken, or null when the set is empty.</returns>
    public (ulong Lo, ulong Hi)? TakeFirst(ulong count)
    {
        if (_runs.Count == 0 || count == 0) return null;
        var (lo, hi) = _runs[0];
        ulong end = hi - lo <= count ? hi : lo + count;
        Remove(lo, end);
        return (lo, end);
    }
}
