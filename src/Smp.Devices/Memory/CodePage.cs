using System.Numerics;

namespace Smp.Devices.Memory;

/// <summary>
/// What decode caches must know about one 4 KiB physical page that has held decoded code: which of its
/// 64-byte lines hold code decoded since they were last written, and when each line was last written into
/// while it held code. A decoded copy records the page's <see cref="Clock"/> before it reads the bytes and
/// is current while none of its lines was written since (<see cref="Unchanged"/>): invalidation is pulled
/// by the copy, so interpreters, compiled blocks and a future JIT check the same stamps.
/// </summary>
/// <remarks>
/// Every field is read and written with atomic or volatile operations: under the parallel dispatcher CPUs on
/// several host threads decode and write at once. The ordering argument is in <see cref="PhysicalMemory"/>'s
/// code file.
/// </remarks>
internal sealed class CodePage
{
    /// <summary>Lines per page.</summary>
    public const int Lines = 64;

    /// <summary>The record of pages outside RAM (ROM beyond the top of RAM): never written, never stale.</summary>
    public static readonly CodePage Untracked = new();

    private ulong _live;
    private ulong _clock;
    private readonly ulong[] _writtenAt = new ulong[Lines];

    /// <summary>Bit n set: line n holds decoded code that no write has touched since it was decoded.</summary>
    public ulong Live => Volatile.Read(ref _live);

    /// <summary>Invalidations of this page so far; a decoded copy records it before reading its bytes.</summary>
    public ulong Clock => Volatile.Read(ref _clock);

    /// <summary>True when no line in [<paramref name="firstLine"/>, <paramref name="lastLine"/>] was invalidated after clock value <paramref name="stamp"/>.</summary>
    public bool Unchanged(ulong stamp, int firstLine, int lastLine)
    {
        if (Volatile.Read(ref _clock) == stamp) return true;
        for (int line = firstLine; line <= lastLine; line++)
            if (Volatile.Read(ref _writtenAt[line]) > stamp) return false;
        return true;
    }

    /// <summary>Marks <paramref name="lines"/> as holding decoded code; returns true when the page held none before.</summary>
    public bool MarkLive(ulong lines) => Interlocked.Or(ref _live, lines) == 0;

    /// <summary>
    /// Makes every decoded copy that covers a live line of <paramref name="lines"/> stale; returns false when none
    /// of them held decoded code (nothing to do).
    /// </summary>
    public bool Invalidate(ulong lines)
    {
        ulong hit = Volatile.Read(ref _live) & lines;
        if (hit == 0) return false;
        ulong now = Interlocked.Increment(ref _clock);
        for (ulong m = hit; m != 0; m &= m - 1) Volatile.Write(ref _writtenAt[BitOperations.TrailingZeroCount(m)], now);
        Interlocked.And(ref _live, ~hit);
        return true;
    }

    /// <summary>The mask of the lines covered by <paramref name="length"/> bytes from page offset <paramref name="offset"/> (within the page).</summary>
    public static ulong LineMask(int offset, int length)
    {
        int first = offset >> 6, last = (offset + length - 1) >> 6;
        ulong upTo = last == Lines - 1 ? ulong.MaxValue : (1UL << (last + 1)) - 1;
        return upTo & ~((1UL << first) - 1);
    }
}
