using System.Runtime.CompilerServices;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Jit;

namespace Smp.Devices.Cpu;

// The JIT's side of the core: when a decoded block has run JitThreshold times, a region is formed around it and its
// translation (shared, see TranslationCache) is attached to the block. The interpreter loop enters a translation at
// its head while this CPU's check vouches for it (RegionUsable); everything about exactness is in Jit/README-like
// comments of RegionCompiler and in the CPU README.
public sealed unsafe partial class CpuCore
{
    // While a translation runs: the position, in its decoded block, of the instruction whose handler or slow path is
    // being called (the loop's fault handler counts the block's earlier instructions as retired); -1 otherwise.
    private int _faultPosition = -1;

    // The code epoch the running translation was checked against: its loops leave when memory's epoch moves.
    private long _jitEntryEpoch;

    // InstructionsRetired when the running translation was entered (statistics when it leaves through a fault).
    private long _jitEntryRetired;

    /// <summary>
    /// Executions of a block by the interpreter before a region is translated around it (default 4096). Lower values
    /// translate more code sooner (tests use small ones); the semantics are the same either way. A region costs the .NET
    /// JIT a few milliseconds, the time to interpret about a million instructions: on Linux's boot 512 had the compiler
    /// thread busy the whole run with code that seldom ran again (power-off 17.6 s at 512, 14.2 s at 4096).
    /// </summary>
    public int JitThreshold { get; set; } = 4096;

    /// <summary>
    /// When true the CPU waits for a region's compilation (tests); by default it is compiled on a background thread
    /// and the CPU interprets the region meanwhile (same results, so runs stay deterministic).
    /// </summary>
    public bool JitWaits { get; set; }

    /// <summary>Instructions executed inside translated regions (statistics for benchmarks).</summary>
    public long InstructionsTranslated;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Translate(DecodedBlock head, ulong rip)
    {
        ulong headLinear = LinearIp(rip);
        var pages = new RegionPages(headLinear >> 12, head.PhysicalAddress >> 12);
        // A straddling head's second page is one of the region's pages like any other (the builder takes the head as is).
        if (head.Straddles && (!PageForRegion(SecondPageLinear(headLinear) >> 12, pages, out ulong second) || second != head.SecondPage)) return;
        var region = RegionBuilder.Build(head, rip, Bitness, Cpl, Segs[Seg.CS].Limit, _watch != null,
            r => BlockForRegion(r, pages), CodeBytes);
        if (region is null) return;
        var translation = TranslationCache.Get(region, JitWaits);
        var blocks = new DecodedBlock[region.Nodes.Count];
        var rips = new ulong[blocks.Length];
        var used = new HashSet<ulong>();
        for (int i = 0; i < blocks.Length; i++)
        {
            var node = region.Nodes[i];
            blocks[i] = node.Block;
            rips[i] = node.Rip;
            ulong la = LinearIp(node.Rip);
            used.Add(la >> 12);
            if (node.Block.Straddles) used.Add(SecondPageLinear(la) >> 12);
        }

        // Other nodes become entries for blocks not already entering a region (watched functions keep one entry, the
        // head, where their calls and returns are seen).
        bool entries = _watch == null && region.HasOtherEntries;
        var handle = new RegionHandle(rip, translation, blocks, rips, pages.Among(used, withHead: entries), Cpl, region.CsLimit, _watch != null);
        head.Region = handle;
        head.RegionEntry = 0;
        if (entries)
        {
            foreach (var node in region.Nodes)
            {
                if (node.Index == 0 || !node.Enterable || node.Block.Region is not null) continue;
                node.Block.Region = handle;
                node.Block.RegionEntry = node.Index;
            }
        }
        BlocksCompiled++;
    }

    // Whether the translation may run now: checked again only when this CPU's fetch path or memory's code changed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RegionUsable(RegionHandle h) =>
        (h.FetchEpoch == _fetchEpoch && h.CodeEpoch == Memory.CodeEpoch) || Revalidate(h);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Revalidate(RegionHandle h)
    {
        long codeEpoch = Memory.CodeEpoch;
        bool usable = h.Cpl == Cpl && !_dataBreakpointsArmed && h.Watched == (_watch != null) && (Is64 || h.CsLimit == Segs[Seg.CS].Limit);
        foreach (var b in h.Blocks) usable &= b.IsCurrent;
        // The entry's page is vouched for by the fetch that reached it; the region's other code pages (the head's too
        // when it has other entries) must still translate, quietly, to the frames its blocks were decoded from.
        foreach (var (linearPage, ppn) in h.CheckedPages)
            usable &= TryFetchTranslationQuietly(linearPage << 12, out ulong now) && now == ppn;
        if (!usable)
        {
            // Code the region covers was overwritten, or the CPU's mode no longer matches: its entries form new regions
            // once they are hot again.
            foreach (var b in h.Blocks)
            {
                if (!ReferenceEquals(b.Region, h)) continue;
                b.Region = null;
                b.Executions = 0;
            }
            return false;
        }

        h.FetchEpoch = _fetchEpoch;
        h.CodeEpoch = codeEpoch;
        return true;
    }

    /// <summary>Test hook: the translation attached to the block this CPU decoded at <paramref name="rip"/>, if any.</summary>
    internal Translation? TranslationAt(ulong rip)
    {
        ulong pa = Translate(LinearIp(rip), AccessKind.Execute);
        var b = _blocks[BlockSlot(pa)];
        return b != null && b.PhysicalAddress == pa && b.Region is { } h && h.Rip == rip ? h.Translation : null;
    }

    // A block that this CPU has decoded at `rip` and that is still current (no fetch, no side effect), on a linear page
    // whose translation the region may rely on: the head's, or one that translates quietly (TryFetchTranslationQuietly),
    // at most RegionPages.Max of them. A straddling block's second page must be one too.
    private DecodedBlock? BlockForRegion(ulong rip, RegionPages pages)
    {
        ulong la = LinearIp(rip);
        if (!PageForRegion(la >> 12, pages, out ulong ppn)) return null;
        ulong pa = (ppn << 12) | (la & 0xFFF);
        var b = _blocks[BlockSlot(pa)];
        if (b == null || b.PhysicalAddress != pa || b.Bitness != Bitness || !b.Cacheable || !b.IsCurrent) return null;
        if (b.Straddles && (!PageForRegion(SecondPageLinear(la) >> 12, pages, out ulong second) || second != b.SecondPage)) return null;
        return b;
    }

    private bool PageForRegion(ulong linearPage, RegionPages pages, out ulong ppn)
    {
        if (pages.TryGet(linearPage, out ppn)) return true;
        if (pages.Full || !TryFetchTranslationQuietly(linearPage << 12, out ppn)) return false;
        pages.Add(linearPage, ppn);
        return true;
    }

    // The block's code bytes, both parts of a straddling instruction included.
    private byte[] CodeBytes(DecodedBlock block)
    {
        int first = block.ByteLength;
        var bytes = new byte[block.Straddles ? block.Uops[0].Length : first];
        byte* host = Memory.RamPage(block.PhysicalAddress);
        if (host != null) new ReadOnlySpan<byte>(host + (block.PhysicalAddress & 0xFFF), first).CopyTo(bytes);
        else for (int i = 0; i < first; i++) bytes[i] = (byte)PhysicalRead(block.PhysicalAddress + (ulong)i, 1);
        for (int i = first; i < bytes.Length; i++) bytes[i] = (byte)PhysicalRead((block.SecondPage << 12) + (ulong)(i - first), 1);
        return bytes;
    }
}
