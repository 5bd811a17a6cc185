using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Smp.Devices.Snapshots;

namespace Smp.Devices.Memory;

// Dirty-page tracking and RAM snapshots. Every write path marks its 4 KiB page dirty: Write and
// Load here, and the CPUs' fast write path, which marks a page when it fills a write-TLB entry for
// it (the fill is the first fast write to the page since the entry was created). Taking or
// restoring a snapshot clears the marks and revokes every CPU's write-TLB entries, so the next write
// to any page goes through a fill again and is seen. The map holds one byte per page rather than one
// bit so that CPUs on different threads can mark neighbouring pages without atomic operations.
public sealed unsafe partial class PhysicalMemory
{
    private const int PageSize = 4096;
    private readonly byte[] _dirty;
    // The pages marked since the last snapshot or restore, in marking order, so that restoring costs
    // O(dirty pages). Appended on a page's 0 → 1 transition; a race between CPUs may list a page
    // twice (restore skips the second), and if the list ever fills, restore falls back to a scan.
    private readonly int[] _dirtyList;
    private int _dirtyListCount;
    private MemorySnapshot? _baseline;

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
        if (pageNumber < (ulong)_dirty.Length && _dirty[pageNumber] == 0) MarkNewDirtyPage((int)pageNumber);
    }

    private void MarkNewDirtyPage(int page)
    {
        _dirty[page] = 1;
        int i = Interlocked.Increment(ref _dirtyListCount) - 1;
        if (i < _dirtyList.Length) _dirtyList[i] = page;
    }

    /// <summary>
    /// Marks the RAM pages covering [<paramref name="address"/>, <paramref name="address"/> + <paramref name="length"/>)
    /// as written, for code that wrote RAM directly through <see cref="Ram"/> or <see cref="RamBase"/>.
    /// </summary>
    public void MarkDirty(ulong address, ulong length)
    {
        if (length == 0) return;
        for (ulong pg = address >> 12; pg <= (address + length - 1) >> 12 && pg < (ulong)_dirty.Length; pg++) MarkPageDirty(pg);
    }

    /// <summary>True when RAM page <paramref name="pageNumber"/> was written since the last snapshot or restore.</summary>
    public bool IsPageDirty(ulong pageNumber) => pageNumber < (ulong)_dirty.Length && _dirty[pageNumber] != 0;

    /// <summary>The number of RAM pages written since the last snapshot or restore.</summary>
    public int DirtyPageCount
    {
        get
        {
            int n = 0;
            foreach (byte b in _dirty) n += b;
            return n;
        }
    }

    /// <summary>
    /// Copies all of RAM into a new snapshot and starts tracking writes from here. Cost: one copy of
    /// RAM (about RamSize / memory bandwidth, e.g. ~10–30 ms for 128 MiB) and one snapshot-sized
    /// allocation. Call it only while no CPU is running (between quanta).
    /// </summary>
    /// <returns>The snapshot; dispose it to free its copy of RAM.</returns>
    public MemorySnapshot TakeSnapshot()
    {
        var snapshot = new MemorySnapshot(this, _ram, RamSize);
        Array.Clear(_dirty);
        _dirtyListCount = 0;
        _baseline = snapshot;
        FastWritesRevoked?.Invoke();
        return snapshot;
    }

    /// <summary>
    /// Puts RAM back to the contents of <paramref name="snapshot"/>. When RAM has not been restored
    /// to or snapshotted as another snapshot since <paramref name="snapshot"/> was taken, only the
    /// pages written since the last snapshot or restore are copied (cost ≈ dirty pages × 4 KiB copy,
    /// from a list of the pages marked; a scan of one byte per page only if that list overflowed); otherwise all of RAM is copied. Restored pages get a new
    /// code version, so decoded blocks from them are decoded again; every CPU's fast write paths are
    /// revoked. ROM and MMIO windows are not part of RAM snapshots. Call it only while no CPU runs.
    /// </summary>
    /// <returns>The number of pages copied.</returns>
    public int Restore(MemorySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!ReferenceEquals(snapshot.Owner, this)) throw new ArgumentException("The snapshot was taken of another physical memory.", nameof(snapshot));
        byte* source = snapshot.Data;
        bool incremental = ReferenceEquals(_baseline, snapshot);
        int copied = 0;
        int pages = _dirty.Length;
        if (incremental && _dirtyListCount <= _dirtyList.Length)
        {
            for (int i = 0; i < _dirtyListCount; i++)
            {
                int pg = _dirtyList[i];
                if (_dirty[pg] != 0) { RestorePage(source, pg); _dirty[pg] = 0; copied++; }
            }
        }
        else if (incremental)
        {
            // Scan eight page marks at a time; most words are zero.
            var words = MemoryMarshal.Cast<byte, ulong>(_dirty.AsSpan());
            for (int w = 0; w < words.Length; w++)
            {
                if (words[w] == 0) continue;
                for (int k = 0; k < 8; k++)
                {
                    int pg = w * 8 + k;
                    if (_dirty[pg] != 0) { RestorePage(source, pg); _dirty[pg] = 0; copied++; }
                }
            }
            for (int pg = words.Length * 8; pg < pages; pg++)
                if (_dirty[pg] != 0) { RestorePage(source, pg); _dirty[pg] = 0; copied++; }
        }
        else
        {
            for (int pg = 0; pg < pages; pg++) RestorePage(source, pg);
            copied = pages;
            Array.Clear(_dirty);
        }
        _dirtyListCount = 0;
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
        // The contents changed under any decoded copies: a new version makes them stale.
        _pageVersion[pg]++;
        CodeEpoch++;
        _codePage[pg] = 0;
    }
}
