using System.Runtime.CompilerServices;

namespace Smp.Devices.Memory;

// Self- and cross-modifying code (SDM Vol. 3A §8.1.3 "Handling Self- and Cross-Modifying Code", §11.6): a
// store must be seen by the next instruction fetched from what it overwrote, on any CPU. Decode caches
// register the bytes they decoded (MarkCode) in the page's CodePage record and keep its clock; every write
// that touches registered bytes (WriteRam, Load, MarkWritten, InvalidateCode) stamps the 64-byte lines they
// lie in, so the copies covering those lines fail their check at their next fetch, and bumps CodeEpoch,
// which every CPU's by-linear-address block cache and block chaining compare. Data beside code, even in
// the same line, is written without invalidating anything.
//
// The write fast path stays free of checks: a page gets a CodePage record the first time code is decoded
// from it, and when it starts holding live code (CodePageMarked) every CPU drops its plain write-TLB
// entries for it, so writes to it take a path that calls WriteRam.
//
// Ordering under the parallel dispatcher. A writer stores its bytes, fences, then invalidates; a decoder
// reads the clock, copies the bytes, marks them live (atomic, a full fence), then compares them again.
// Either the writer saw the bytes live and stamped their lines after the decoder read the clock, or the
// decoder's comparison sees the new bytes and decodes again. Invalidation clears the live marks before it
// stamps, so a decoder whose fresh marks it clears read the clock before the stamp and holds a stale copy.
// What remains racy is a store already passing another CPU's write-TLB fast path while a decoder marks
// that page, as on hardware an unsynchronised cross-modification is.
public sealed unsafe partial class PhysicalMemory
{
    /// <summary>Granularity of code invalidation, in bytes: a write into decoded code makes stale the decoded copies of the lines it touches.</summary>
    public const int CodeLineSize = CodePage.LineSize;

    private CodePage[] _codePages = new CodePage[64]; // [0] unused: index 0 means "no record"
    private int _codePageCount = 1;
    private readonly Lock _codePagesLock = new();
    private long _codeEpoch;

    /// <summary>
    /// Raised (with the physical page number) when a page starts holding decoded code: every CPU must drop its
    /// fast write paths to that page, so that its next write takes the path that invalidates.
    /// </summary>
    public event Action<ulong>? CodePageMarked;

    /// <summary>
    /// Counts invalidations of decoded code anywhere in memory: a CPU may reuse a block it found by linear
    /// address without checking its stamp again while this is unchanged.
    /// </summary>
    public long CodeEpoch
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _codeEpoch);
    }

    /// <summary>True when physical page <paramref name="pageNumber"/> holds decoded code that no write has touched since.</summary>
    public bool IsCodePage(ulong pageNumber) => CodePageOf(pageNumber) is { } page && page.HoldsCode;

    /// <summary>
    /// Makes every CPU's decoded copies of [<paramref name="address"/>, <paramref name="address"/> + <paramref name="length"/>)
    /// stale (those covering a line it touches, when it touches decoded bytes), before any CPU fetches from there again. Writes through <see cref="Write"/>,
    /// <see cref="Load"/> and the CPUs' own stores do this by themselves; call it for memory changed behind this
    /// object's back, or to drop decoded code on a guest's request (QEMU's pc-testdev "flush page" port).
    /// </summary>
    public void InvalidateCode(ulong address, ulong length)
    {
        if (length == 0) return;
        Interlocked.MemoryBarrier(); // the caller's stores become visible before the live marks are read
        ulong last = address + length - 1;
        if (last < address) last = ulong.MaxValue;
        for (ulong at = address; at >> 12 < (ulong)_pages;)
        {
            ulong chunkLast = Math.Min(last, at | 0xFFF);
            if (CodePageOf(at >> 12) is { } page && page.Invalidate((int)(at & 0xFFF), (int)(chunkLast - at + 1)))
                Interlocked.Increment(ref _codeEpoch);
            if (chunkLast == last) break;
            at = chunkLast + 1;
        }
    }

    /// <summary>Makes every CPU's decoded copies of code on physical page <paramref name="pageNumber"/> stale.</summary>
    public void InvalidateCodePage(ulong pageNumber)
    {
        if (CodePageOf(pageNumber) is { } page && page.Invalidate(0, 4096)) Interlocked.Increment(ref _codeEpoch);
    }

    /// <summary>The code record of a page, or null when no code was ever decoded from it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal CodePage? CodePageOf(ulong pageNumber)
    {
        if (pageNumber >= (ulong)_pages) return null;
        uint index = Volatile.Read(ref _codeIndex[pageNumber]);
        return index == 0 ? null : Volatile.Read(ref _codePages)[index];
    }

    /// <summary>The code record of a page, created on first use; <see cref="CodePage.Untracked"/> outside RAM's page range.</summary>
    internal CodePage TrackCode(ulong pageNumber)
    {
        if (pageNumber >= (ulong)_pages) return CodePage.Untracked;
        if (CodePageOf(pageNumber) is { } existing) return existing;
        lock (_codePagesLock)
        {
            if (CodePageOf(pageNumber) is { } raced) return raced;
            var pages = _codePages;
            if (_codePageCount == pages.Length)
            {
                Array.Resize(ref pages, pages.Length * 2);
                Volatile.Write(ref _codePages, pages);
            }

            var page = new CodePage();
            pages[_codePageCount] = page;
            Volatile.Write(ref _codeIndex[pageNumber], (uint)_codePageCount++);
            return page;
        }
    }

    /// <summary>
    /// Registers <paramref name="length"/> bytes of decoded code at offset <paramref name="offset"/> of page
    /// <paramref name="pageNumber"/>. Call it after copying the bytes and before comparing them again (see above).
    /// </summary>
    internal void MarkCode(CodePage page, ulong pageNumber, int offset, int length)
    {
        if (ReferenceEquals(page, CodePage.Untracked)) return;
        if (page.MarkLive(offset, length)) CodePageMarked?.Invoke(pageNumber);
    }
}
