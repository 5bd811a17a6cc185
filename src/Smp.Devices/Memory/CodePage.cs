using System.Numerics;

namespace Smp.Devices.Memory;

/// <summary>
/// What decode caches must know about one 4 KiB physical page that has held decoded code: which bytes hold code
/// decoded since they were last written (so a write beside code, even in the same cache line, invalidates
/// nothing), and when each 64-byte line was last written into while it held code. A decoded copy records the
/// page's <see cref="Clock"/> before it reads its bytes and is current while none of its lines was written since
/// (<see cref="Unchanged"/>): invalidation is pulled by the copy, so interpreters, compiled blocks and a JIT
/// check the same stamps.
/// </summary>
/// <remarks>
/// Under the parallel dispatcher CPUs on several host threads decode and write at once; every field is read and
/// written atomically. <see cref="Invalidate"/> clears the live marks before it stamps the lines, so a decoder
/// whose fresh marks it clears has read the clock before the stamp and holds a stale copy (see
/// <see cref="PhysicalMemory"/>'s code file for the whole argument).
/// </remarks>
internal sealed class CodePage
{
    /// <summary>Bytes per line (the granularity of the stamps).</summary>
    public const int LineSize = 64;

    private const int Lines = 4096 / LineSize;

    /// <summary>The record of pages outside RAM (ROM beyond the top of RAM): never written, never stale.</summary>
    public static readonly CodePage Untracked = new();

    private ulong _liveLines;                                // bit l: line l may hold live bytes
    private readonly ulong[] _liveBytes = new ulong[Lines];  // bit b of word l: byte 64·l + b holds live decoded code
    private ulong _clock;
    private readonly ulong[] _writtenAt = new ulong[Lines];

    /// <summary>True when some bytes of the page hold decoded code that no write has touched since.</summary>
    public bool HoldsCode => Volatile.Read(ref _liveLines) != 0;

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

    /// <summary>
    /// Marks <paramref name="length"/> bytes from page offset <paramref name="offset"/> as decoded code; returns true
    /// when the page held none before (so CPUs must stop writing to it through their fast path).
    /// </summary>
    public bool MarkLive(int offset, int length)
    {
        for (int line = offset / LineSize; line <= (offset + length - 1) / LineSize; line++)
            Interlocked.Or(ref _liveBytes[line], ByteMask(line, offset, length));
        return Interlocked.Or(ref _liveLines, LineMask(offset, length)) == 0;
    }

    /// <summary>
    /// A write covered <paramref name="length"/> bytes from page offset <paramref name="offset"/>: when any of them
    /// holds decoded code, every decoded copy that covers a line they share goes stale. Returns false when none did.
    /// </summary>
    public bool Invalidate(int offset, int length)
    {
        ulong candidates = LineMask(offset, length) & Volatile.Read(ref _liveLines), hit = 0;
        for (ulong m = candidates; m != 0; m &= m - 1)
        {
            int line = BitOperations.TrailingZeroCount(m);
            if ((Volatile.Read(ref _liveBytes[line]) & ByteMask(line, offset, length)) != 0) hit |= 1UL << line;
        }

        if (hit == 0) return false;
        // Clear the marks first, then stamp: a copy whose marks are cleared read the clock before the stamp.
        for (ulong m = hit; m != 0; m &= m - 1) Interlocked.Exchange(ref _liveBytes[BitOperations.TrailingZeroCount(m)], 0);
        Interlocked.And(ref _liveLines, ~hit);
        ulong now = Interlocked.Increment(ref _clock);
        for (ulong m = hit; m != 0; m &= m - 1) Volatile.Write(ref _writtenAt[BitOperations.TrailingZeroCount(m)], now);
        return true;
    }

    // Lines touched by [offset, offset + length) within the page.
    private static ulong LineMask(int offset, int length)
    {
        int first = offset / LineSize, last = (offset + length - 1) / LineSize;
        ulong upTo = last == Lines - 1 ? ulong.MaxValue : (1UL << (last + 1)) - 1;
        return upTo & ~((1UL << first) - 1);
    }

    // The bytes of line `line` inside [offset, offset + length), as bits of that line's word.
    private static ulong ByteMask(int line, int offset, int length)
    {
        int start = Math.Max(offset - line * LineSize, 0), end = Math.Min(offset + length - line * LineSize, LineSize);
        ulong upTo = end == LineSize ? ulong.MaxValue : (1UL << end) - 1;
        return upTo & ~((1UL << start) - 1);
    }
}
