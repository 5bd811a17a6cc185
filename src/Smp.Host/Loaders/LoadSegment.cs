namespace Smp.Host.Loaders;

/// <summary>A piece of a kernel file copied to a physical address, followed by zeros up to its memory size.</summary>
/// <param name="Name">What it is, for messages ("segment 1", "the a.out image").</param>
/// <param name="Address">The physical load address.</param>
/// <param name="FileOffset">Where its bytes start in the file.</param>
/// <param name="FileSize">How many bytes come from the file.</param>
/// <param name="MemorySize">How many bytes it occupies (at least <paramref name="FileSize"/>; the rest is zeroed: bss).</param>
internal sealed record LoadSegment(string Name, ulong Address, long FileOffset, long FileSize, ulong MemorySize)
{
    /// <summary>The first address past the segment.</summary>
    public ulong End => Address + MemorySize;
}
