namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// The linear code pages a region being formed spans, each with the physical page it translates to: the head's first
/// (vouched for by the fetch that reaches the head), then the others, which the CPU checks again whenever its fetch
/// path changed (see <see cref="RegionHandle.OtherPages"/>).
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

    /// <summary>The pages after the head's that hold code of the formed region (<paramref name="used"/>: linear pages).</summary>
    public (ulong Linear, ulong Physical)[] OthersAmong(IReadOnlySet<ulong> used) => _pages.Skip(1).Where(p => used.Contains(p.Linear)).ToArray();
}
