namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// The linear code pages a region being formed spans, each with the physical page it translates to: the head's first
/// (vouched for by the fetch that reaches the head, when the head is the only entry), then the others, which the CPU checks
/// again whenever its fetch path changed (see <see cref="RegionHandle.CheckedPages"/>).
/// </summary>
internal sealed class RegionPages(ulong headLinear, ulong headPhysical)
{
    /// <summary>Most linear pages in one region (each one after the head's costs a quiet page walk per check).</summary>
    public const int Max = 4;

    private readonly List<(ulong Linear, ulong Physical)> _pages = [(headLinear, headPhysical)];

    /// <summary>True when no further page may join.</summary>
    public bool Full => _pages.Count >= Max;

    /// <summary>The physical page of <paramref name="linear"/> when it is one of the region's pages.</summary>
    public bool TryGet(ulong linear, out ulong physical)
    {
        foreach (var (l, p) in _pages)
            if (l == linear)
            {
                physical = p;
                return true;
            }
        physical = 0;
        return false;
    }

    /// <summary>Adds a page (its translation checked by the caller).</summary>
    public void Add(ulong linear, ulong physical) => _pages.Add((linear, physical));

    /// <summary>
    /// The pages that hold code of the formed region (<paramref name="used"/>: linear pages), the head's included only
    /// when <paramref name="withHead"/>.
    /// </summary>
    public (ulong Linear, ulong Physical)[] Among(IReadOnlySet<ulong> used, bool withHead) =>
        _pages.Skip(withHead ? 0 : 1).Where(p => used.Contains(p.Linear)).ToArray();
}
