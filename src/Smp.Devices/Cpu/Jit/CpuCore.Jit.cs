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
        ulong headLinear = Is64 ? rip : (Segs[Seg.CS].Base + rip) & 0xFFFF_FFFFUL;
        var region = RegionBuilder.Build(head, rip, Bitness, Cpl, Segs[Seg.CS].Limit, _watch != null,
            r => BlockForRegion(r, head, headLinear), CodeBytes);
        if (region is null) return;
        var translation = TranslationCache.Get(region, JitWaits);
        var blocks = new DecodedBlock[region.Nodes.Count];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = region.Nodes[i].Block;
        head.Region = new RegionHandle(rip, translation, blocks, Cpl, region.CsLimit, _watch != null);
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
        if (!usable)
        {
            // Code the region covers was overwritten, or the CPU's mode no longer matches: the head forms a new
            // region once it is hot again.
            h.Blocks[0].Region = null;
            h.Blocks[0].Executions = 0;
            return false;
        }

        h.FetchEpoch = _fetchEpoch;
        h.CodeEpoch = codeEpoch;
        return true;
    }

    /// <summary>Test hook: the translation attached to the block this CPU decoded at <paramref name="rip"/>, if any.</summary>
    internal Translation? TranslationAt(ulong rip)
    {
        ulong la = Is64 ? rip : (Segs[Seg.CS].Base + rip) & 0xFFFF_FFFFUL;
        ulong pa = Translate(la, AccessKind.Execute);
        var b = _blocks[BlockSlot(pa)];
        return b != null && b.PhysicalAddress == pa && b.Region is { } h && h.Rip == rip ? h.Translation : null;
    }

    // A block of the head's page that this CPU has decoded and that is still current (no fetch, no side effect).
    private DecodedBlock? BlockForRegion(ulong rip, DecodedBlock head, ulong headLinear)
    {
        ulong la = Is64 ? rip : (Segs[Seg.CS].Base + rip) & 0xFFFF_FFFFUL;
        if ((la >> 12) != (headLinear >> 12)) return null;
        ulong pa = (head.PhysicalAddress & ~0xFFFUL) | (la & 0xFFF);
        var b = _blocks[BlockSlot(pa)];
        return b != null && b.PhysicalAddress == pa && b.Bitness == Bitness && b.Cacheable && b.IsCurrent ? b : null;
    }

    private byte[] CodeBytes(DecodedBlock block)
    {
        var bytes = new byte[block.ByteLength];
        byte* host = Memory.RamPage(block.PhysicalAddress);
        if (host != null) new ReadOnlySpan<byte>(host + (block.PhysicalAddress & 0xFFF), bytes.Length).CopyTo(bytes);
        else for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)PhysicalRead(block.PhysicalAddress + (ulong)i, 1);
        return bytes;
    }
}
