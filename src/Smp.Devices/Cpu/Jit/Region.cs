using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// A region to translate: decoded blocks of up to <see cref="RegionPages.Max"/> linear pages, reached from a hot head block along direct control flow
/// (fall-through, both sides of conditional branches, direct jumps, direct calls into their callee and the callee's
/// returns back to the call site under a guard). The same block reached with a different stack of pending returns is
/// a different node, so a function called from two sites is translated twice. Loops become loops in the translation.
/// </summary>
internal sealed class Region
{
    /// <summary>The nodes, head first, in the order they are emitted.</summary>
    public required List<RegionNode> Nodes { get; init; }

    /// <summary>Code size (16, 32, 64) of every block.</summary>
    public required int Bitness { get; init; }

    /// <summary>CPL the region runs at: the TLB tag of user accesses is a constant in the translation.</summary>
    public required int Cpl { get; init; }

    /// <summary>The CS limit outside 64-bit mode (near branch targets are checked against it when translating).</summary>
    public required uint CsLimit { get; init; }

    /// <summary>True when the CPU had watched functions: calls and returns are not followed, so the fetch path sees them.</summary>
    public required bool Watched { get; init; }

    /// <summary>Every instruction of the region, node by node (the handlers of untranslated instructions get a reference into it).</summary>
    public required Uop[] Uops { get; init; }

    /// <summary>What identifies the translation between CPUs and runs: mode, shape and code bytes.</summary>
    public required RegionKey Key { get; init; }

    /// <summary>True in 64-bit mode.</summary>
    public bool Is64 => Bitness == 64;

    /// <summary>The mask of RIP: all ones, 0xFFFFFFFF or 0xFFFF.</summary>
    public ulong IpMask => Bitness switch { 64 => ulong.MaxValue, 32 => 0xFFFF_FFFFUL, _ => 0xFFFFUL };

    /// <summary>The head's RIP.</summary>
    public ulong Rip => Nodes[0].Rip;

    /// <summary>Whether nodes other than the head may be entered (<see cref="RegionNode.Enterable"/>).</summary>
    public bool HasOtherEntries => Nodes.Count(n => n.Enterable) > 1;
}

/// <summary>One decoded block at one RIP under one stack of pending returns.</summary>
internal sealed class RegionNode
{
    /// <summary>RIP of the block's first instruction.</summary>
    public required ulong Rip { get; init; }

    /// <summary>The block (the translating CPU's copy; its instructions are also in <see cref="Region.Uops"/>).</summary>
    public required DecodedBlock Block { get; init; }

    /// <summary>Return addresses of the calls followed into this node, innermost first (empty outside any).</summary>
    public required ulong[] Returns { get; init; }

    /// <summary>Position in <see cref="Region.Nodes"/>.</summary>
    public int Index { get; set; }

    /// <summary>
    /// Whether the translation may be entered here: a CPU that reaches this block from outside runs the translation from
    /// it instead of interpreting. Set by <see cref="RegionBuilder"/>: outside any inlined call (whose return guard needs
    /// the call) and not inside a loop of the region (an entry there would make the loop irreducible, and the .NET JIT
    /// then compiles the whole method far worse: smp bench cpu fell from 1,740 to 958 MIPS).
    /// </summary>
    public bool Enterable { get; set; }

    /// <summary>Index of the block's first instruction in <see cref="Region.Uops"/>.</summary>
    public int UopBase { get; set; }

    /// <summary>Instructions in the block.</summary>
    public int Count => Block.Count;

    /// <summary>RIP after the block's last instruction.</summary>
    public ulong FallRip { get; set; }

    /// <summary>Where a taken branch, a jump, a call or a return goes when that is translated too; null leaves the region there.</summary>
    public RegionNode? Taken { get; set; }

    /// <summary>Where the block continues without a transfer (and a not-taken branch), when translated too.</summary>
    public RegionNode? Fall { get; set; }
}
