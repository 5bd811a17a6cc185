namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// Everything a translation depends on, as bytes: the mode (code size, CPL, CS limit, watch), and per node its RIP,
/// its pending returns, its successors and its code bytes. Two CPUs that form the same region from the same bytes
/// (Linux's APs running the kernel's text) get equal keys and share one compiled method.
/// </summary>
internal sealed class RegionKey : IEquatable<RegionKey>
{
    private readonly byte[] _bytes;
    private readonly int _hash;

    public RegionKey(byte[] bytes)
    {
        _bytes = bytes;
        var hash = new HashCode();
        hash.AddBytes(bytes);
        _hash = hash.ToHashCode();
    }

    /// <summary>Size of the description in bytes.</summary>
    public int Length => _bytes.Length;

    public bool Equals(RegionKey? other) => other is not null && _hash == other._hash && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => obj is RegionKey k && Equals(k);

    public override int GetHashCode() => _hash;
}
