using System.Runtime.CompilerServices;
using Smp.Devices.Snapshots;

namespace Smp.Devices.Memory;

// Dirty-page tracking and RAM snapshots. Every write path marks its 4 KiB page dirty: WriteRam and
// Load here, and the CPUs' fast write path, which marks a page when it fills a write-TLB entry for
// it (the fill is the first fast write to the page since the entry was created). Taking or
// restoring a snapshot clears the marks and revokes every CPU's write-TLB entries, so the next write
// to any page goes through a fill again and is seen. The map holds one byte per page rather than one
// bit so that CPUs on different threads can mark neighbouring pages without atomic operations.
// A second map remembers every page ever written: the others still read as zero (and cost no host
// memory), so snapshots copy and full restores visit only written pages.
public sealed unsafe partial class PhysicalMemory
{
    private const int PageSize = 4096;

    // Per-page bookkeeping, in one lazily committed block (see CarvePageState): untouched entries cost nothing.
    private readonly ZeroedMemory _pageState;
    private readonly int _pages;
    private byte* _dirty;
    private byte* _written;
    private uint* _codeIndex;

    // The pages marked since the last snapshot or restore, in marking order, so that restoring costs
    // O(dirty pages). Appended on a page's 0 → 1 transition; a race between CPUs may list a page
    // twice (restore skips the second), and if the list ever fills, restore falls back to a scan.
    private int* _dirtyList;
    private int _dirtyListCapacity;
    private int _dirtyListCount;
    private MemorySnapshot? _baseline;

    private static ulong PageStateBytes(int pages) => ((ulong)pages + 64) * sizeof(int) + (ulong)pages * sizeof(uint) + (ulong)pages * 2;

    private void CarvePageState(byte* p)
    {
        _dirtyListCapacity = _pages + 64;
        _dirtyList = (int*)p;
        p += (ulong)_dirtyListCapacity * sizeof(int);
        _codeIndex = (uint*)p;
        p += (ulong)_pages * sizeof(uint);
        _dirty = p;
        _written = p + _pages;
    }

    /// <summary>
    /// Raised when taking or restoring a snapshot: every CPU attached to this memory must drop its
    /// cached fast write paths so that its next write to each page is marked dirty again.
    /// </summary>
    public event Action? FastWritesRevoked;

    /// <summary>Pages copied back by <see cref="Restore"/> since this memory was created.</summary>
    public long PagesRestored { get; private set; }

    /// <summary>Pages copied back by the most recent <see cref="Restore"/>.</summary>
    public int LastRestorePages { get; private set; }

    /// <summary>Marks RAM page <paramref name="pageNumber"/> as written since the last snapshot or restore.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void MarkPageDirty(ulong pageNumber)
    {
        if (pageNumber < (ulong)_pages && _dirty[pageNumber] == 0) MarkNewDirtyPage((int)pageNumber);
    }

    private void MarkNewDirtyPage(int page)
    {
        _dirty[page] = 1;
        _written[page] = 1;
        int i = Interlocked.Increment(ref _dirtyListCount) - 1;
        if (i < _dirtyListCapacity) _dirtyList[i] = page;
    }

    private void MarkDirtyPages(ulong address, ulong length)
    {
        for (ulong pg = address >> 12; pg <= (address + length - 1) >> 12 && pg < (ulong)_pages; pg++) MarkPageDirty(pg);
    }

    /// <summary>
    /// Records that [<paramref name="address"/>, <paramref name="address"/> + <paramref name="length"/>) was written
    /// directly through <see cref="Ram"/> or <see cref="RamBase"/>: marks its pages dirty and makes decoded code
    /// there stale, as <see cref="Write"/> and <see cref="Load"/> do by themselves.
    /// </summary>
    public void MarkWritten(ulong address, ulong length)
    {
        if (length == 0) return;
        MarkDirtyPages(address, length);
        InvalidateCode(address, length);
    }

    /// <summary>True when RAM page <paramref name="pageNumber"/> was written since the last snapshot or restore.</summary>
    public bool IsPageDirty(ulong pageNumber) => pageNumber < (ulong)_pages && _dirty[pageNumber] != 0;

    /// <summary>The number of RAM pages written since the last snapshot or restore.</summary>
    public int DirtyPageCount => CountMarked(_dirty);

    /// <summary>The number of RAM pages ever written (the others read as zero and occupy no host memory).</summary>
    public int WrittenPageCount => CountMarked(_written);

    private int CountMarked(byte* map)
    {
        int n = 0;
        for (int pg = 0; pg < _pages; pg++) n += map[pg];
        return n;
    }

    /// <summary>
    /// Copies RAM into a new snapshot and starts tracking writes from here. Only pages ever written are copied
    /// (the others are zero in both), so the cost follows what the guest touched, not the RAM size: about one
    /// 4 KiB copy per written page plus a scan of one byte per page. Call it only while no CPU is running
    /// (between quanta).
    /// </summary>
    /// <returns>The snapshot; dispose it to free its copy of RAM.</returns>
    /// <exception cref="GuestMemoryUnavailableException">The host cannot reserve room for the copy.</exception>
    public MemorySnapshot TakeSnapshot()
    {
        var snapshot = new MemorySnapshot(this, RamTop);
        byte* copy = snapshot.Data;
        for (int pg = NextMarked(_written, 0); pg < _pages; pg = NextMarked(_written, pg + 1))
            Buffer.MemoryCopy(_ram + (ulong)pg * PageSize, copy + (ulong)pg * PageSize, PageSize, PageSize);
        ClearDirtyMarks();
        _baseline = snapshot;
        FastWritesRevoked?.Invoke();
        return snapshot;
    }

    /// <summary>
    /// Puts RAM back to the contents of <paramref name="snapshot"/>. When RAM has not been restored
    /// to or snapshotted as another snapshot since <paramref name="snapshot"/> was taken, only the
    /// pages written since the last snapshot or restore are copied (cost ≈ dirty pages × 4 KiB copy,
    /// from a list of the pages marked; a scan of one byte per page only if that list overflowed); otherwise
    /// every page ever written is copied. Decoded code on restored pages becomes stale; every CPU's fast write
    /// paths are revoked. ROM and MMIO windows are not part of RAM snapshots. Call it only while no CPU runs.
    /// </summary>
    /// <returns>The number of pages copied.</returns>
    public int Restore(MemorySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!ReferenceEquals(snapshot.Owner, this)) throw new ArgumentException("The snapshot was taken of another physical memory.", nameof(snapshot));
        byte* source = snapshot.Data;
        int copied = 0;
        if (ReferenceEquals(_baseline, snapshot) && _dirtyListCount <= _dirtyListCapacity)
        {
            for (int i = 0; i < _dirtyListCount; i++)
            {
                int pg = _dirtyList[i];
                if (_dirty[pg] != 0) { RestorePage(source, pg); _dirty[pg] = 0; copied++; }
            }
        }
        else
        {
            // Another snapshot (or an overflowed list): every page that differs from zero anywhere was written once.
            byte* pages = ReferenceEquals(_baseline, snapshot) ? _dirty : _written;
            for (int pg = NextMarked(pages, 0); pg < _pages; pg = NextMarked(pages, pg + 1)) { RestorePage(source, pg); copied++; }
        }
        ClearDirtyMarks();
        _baseline = snapshot;
        LastRestorePages = copied;
        PagesRestored += copied;
        FastWritesRevoked?.Invoke();
        return copied;
    }

    private void RestorePage(byte* source, int pg)
    {
        ulong offset = (ulong)pg * PageSize;
        Buffer.MemoryCopy(source + offset, _ram + offset, PageSize, PageSize);
        // The contents changed under any decoded copies.
        if (_codeIndex[pg] != 0) InvalidateCodePage((ulong)pg);
    }

    private void ClearDirtyMarks()
    {
        if (_dirtyListCount <= _dirtyListCapacity)
            for (int i = 0; i < _dirtyListCount; i++) _dirty[_dirtyList[i]] = 0;
        else
            new Span<byte>(_dirty, _pages).Clear();
        _dirtyListCount = 0;
    }

    // The first page at or after `from` whose mark is set, or _pages; skips unmarked pages eight at a time.
    private int NextMarked(byte* map, int from)
    {
        int pg = from;
        while (pg < _pages && (pg & 7) != 0)
        {
            if (map[pg] != 0) return pg;
            pg++;
        }
        while (pg + 8 <= _pages && Unsafe.ReadUnaligned<ulong>(map + pg) == 0) pg += 8;
        while (pg < _pages && map[pg] == 0) pg++;
        return pg;
    }
}
