using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// Forms a <see cref="Region"/> from a CPU's decode cache, without side effects: only blocks this CPU has already
/// decoded on pages whose translation the CPU can vouch for (current, same code size; see the lookup) are taken, so
/// nothing is fetched, translated or marked accessed that the guest has not executed.
/// </summary>
internal static class RegionBuilder
{
    /// <summary>
    /// Most instructions in a region. The .NET JIT's time grows faster than the method, and past about 200 instructions
    /// it falls back to unoptimised code (its MinOpts limits): on Linux's boot 96 beat 384 by 19% (16.4 s against 20.3 s
    /// to power-off), while loops (smp bench cpu) fit either way.
    /// </summary>
    public const int MaxInstructions = 96;

    /// <summary>Most nodes in a region.</summary>
    public const int MaxNodes = 40;

    /// <summary>Most calls followed into callees at once.</summary>
    public const int MaxCallDepth = 4;

    /// <summary>
    /// Builds the region whose head is <paramref name="head"/> at <paramref name="headRip"/> for the given mode
    /// (<paramref name="bitness"/>, <paramref name="cpl"/>, <paramref name="csLimit"/>, <paramref name="watched"/>), or null
    /// when none can be formed. <paramref name="lookup"/> gives the CPU's decoded block at a RIP (or null);
    /// <paramref name="bytesOf"/> a block's code bytes (for the key).
    /// </summary>
    public static Region? Build(DecodedBlock head, ulong headRip, int bitness, int cpl, uint csLimit, bool watched,
        Func<ulong, DecodedBlock?> lookup, Func<DecodedBlock, byte[]> bytesOf)
    {
        if (!head.Cacheable || head.Count == 0) return null;
        ulong ipMask = bitness switch { 64 => ulong.MaxValue, 32 => 0xFFFF_FFFFUL, _ => 0xFFFFUL };
        var nodes = new List<RegionNode>();
        var byKey = new Dictionary<(ulong, string), RegionNode>();
        var queue = new Queue<RegionNode>();
        int instructions = 0;

        RegionNode? Visit(ulong rip, ulong[] returns, DecodedBlock? known = null)
        {
            var key = (rip, string.Join(',', returns));
            if (byKey.TryGetValue(key, out var existing)) return existing;
            var block = known ?? lookup(rip);
            if (block is null || !block.Cacheable || block.Count == 0 || nodes.Count >= MaxNodes
                || (nodes.Count > 0 && instructions + block.Count > MaxInstructions)) return null;
            // A watched function's entry is seen at fetch: it is only ever a region's head.
            if (watched && known is null && block.StartsWatchedFunction) return null;
            var node = new RegionNode { Rip = rip, Block = block, Returns = returns, Index = nodes.Count, UopBase = instructions };
            instructions += block.Count;
            nodes.Add(node);
            byKey.Add(key, node);
            queue.Enqueue(node);
            return node;
        }

        Visit(headRip, [], head);
        while (queue.TryDequeue(out var node))
        {
            var block = node.Block;
            ref Uop last = ref block.Uops[block.Count - 1];
            var instr = last.Instr;
            // A straddling block's ByteLength counts only its first page's bytes.
            node.FallRip = (node.Rip + (block.Straddles ? last.Length : (ulong)block.ByteLength)) & ipMask;
            bool nearRelative = instr.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 or OpKind.NearBranch64;
            ulong target = (node.FallRip + last.Imm) & BranchMask(instr.Code);
            switch (instr.FlowControl)
            {
                case FlowControl.Next:
                    if (!HandlerTable.EndsBlock(instr.Code) && instr.Code != Code.INVALID) node.Fall = Visit(node.FallRip, node.Returns);
                    break;
                case FlowControl.ConditionalBranch when nearRelative:
                    node.Taken = Visit(target, node.Returns);
                    node.Fall = Visit(node.FallRip, node.Returns);
                    break;
                case FlowControl.UnconditionalBranch when nearRelative:
                    node.Taken = Visit(target, node.Returns);
                    break;
                case FlowControl.Call when nearRelative && !watched && node.Returns.Length < MaxCallDepth:
                    node.Taken = Visit(target, [node.FallRip, .. node.Returns]);
                    break;
                case FlowControl.Return when instr.Mnemonic == Mnemonic.Ret && !watched && node.Returns.Length > 0:
                    node.Taken = Visit(node.Returns[0], node.Returns[1..]);
                    break;
            }
        }

        MarkEntries(nodes);
        var uops = new Uop[instructions];
        foreach (var n in nodes) Array.Copy(n.Block.Uops, 0, uops, n.UopBase, n.Count);
        return new Region
        {
            Nodes = nodes, Bitness = bitness, Cpl = cpl, CsLimit = bitness == 64 ? 0 : csLimit, Watched = watched, Uops = uops,
            Key = KeyOf(nodes, bitness, cpl, bitness == 64 ? 0 : csLimit, watched, bytesOf),
        };
    }

    // A node may be entered from outside when it is outside inlined calls and no edge back to an earlier node spans it:
    // nodes are numbered in the order they were reached, so a back edge X → H covers every loop through H and X.
    private static void MarkEntries(List<RegionNode> nodes)
    {
        var inLoop = new bool[nodes.Count];
        foreach (var x in nodes)
        {
            foreach (var h in new[] { x.Taken, x.Fall })
            {
                if (h is null || h.Index > x.Index) continue;
                for (int i = h.Index + 1; i <= x.Index; i++) inLoop[i] = true;
            }
        }

        foreach (var n in nodes) n.Enterable = n.Returns.Length == 0 && !inLoop[n.Index];
    }

    /// <summary>The IP width of a near branch of <paramref name="code"/>: its operand size.</summary>
    public static ulong BranchMask(Code code) => code.ToOpCode().OperandSize switch
    {
        16 => 0xFFFFUL,
        32 => 0xFFFF_FFFFUL,
        _ => ulong.MaxValue,
    };

    private static RegionKey KeyOf(List<RegionNode> nodes, int bitness, int cpl, uint csLimit, bool watched, Func<DecodedBlock, byte[]> bytesOf)
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write((byte)bitness);
        w.Write((byte)cpl);
        w.Write(csLimit);
        w.Write(watched);
        foreach (var n in nodes)
        {
            w.Write(n.Rip);
            w.Write((byte)n.Returns.Length);
            foreach (var r in n.Returns) w.Write(r);
            w.Write(n.Taken?.Index ?? -1);
            w.Write(n.Fall?.Index ?? -1);
            var bytes = bytesOf(n.Block);
            w.Write((short)bytes.Length);
            w.Write(bytes);
        }

        w.Flush();
        return new RegionKey(stream.ToArray());
    }
}
