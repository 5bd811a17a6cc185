using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Memory;

namespace Smp.Devices.Cpu;

// The interpreter loop. Code is decoded once into blocks of uops cached by physical address and
// code size; the fast path runs a block's handlers back to back with one flag test per
// instruction. Everything unusual (pending events, single-step, breakpoints, interrupt shadows,
// a write into decoded code, a mode change) sets _attention and is handled between instructions.
public sealed unsafe partial class CpuCore
{
    // Decoded blocks by physical address, direct-mapped, growing with the code a CPU runs: Linux's boot runs about 85,000
    // distinct blocks, and with 8,192 slots they evicted each other and were decoded 560,000 times (4 CPUs); grown to
    // 32,768, 266,000 times and a third less garbage. A CPU that runs little code keeps a small cache, so machines of
    // many CPUs start as fast as before.
    private const int MinBlockCache = 4096, MaxBlockCache = 32768;
    private DecodedBlock?[] _blocks = new DecodedBlock?[MinBlockCache];
    private readonly byte[] _decodeBuffer = new byte[DecodedBlock.MaxInstructions * 15 + 16];
    private readonly Uop[] _decodeUops = new Uop[DecodedBlock.MaxInstructions]; // copied into a block of the right size
    private readonly CpuFault _fault;
    private bool _attention;

    /// <summary>Decoded blocks created so far (a measure of decode work, for benchmarks).</summary>
    public long BlocksDecoded;

    /// <summary>
    /// Asks the loop to stop after the current instruction and re-examine events and modes before
    /// the next one. Handlers call it after changing anything the fast path assumes constant.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RequestExit() => _attention = true;

    private bool _stopRequested;

    /// <summary>
    /// Makes <see cref="Run"/> return after the current instruction (the platform uses it when a port
    /// write needs the CPU's actor: a BIOS trap, the debug-exit port). The next <see cref="Run"/> continues normally.
    /// </summary>
    public void RequestStop()
    {
        _stopRequested = true;
        _attention = true;
    }

    /// <summary>
    /// Executes up to <paramref name="budget"/> instructions, fewer if the CPU halts, shuts down or
    /// waits for SIPI. Guest faults are delivered to the guest; they never escape.
    /// </summary>
    /// <returns>The number of budget units used: retired instructions plus one per delivered event.</returns>
    public long Run(long budget)
    {
        long used = 0;
        _stopRequested = false;
        // Interrupt sources and NMI/INIT signals may have changed since the last quantum.
        _attention = true;
        while (used < budget)
        {
            if (State != RunState.Running && !TryWake()) break;
            if (_debugArmed && DebugStopHere()) break;
            if (_attention)
            {
                _attention = false;
                if (_stopRequested) { _stopRequested = false; break; }
                if (ServiceEvents()) { used++; continue; }
                if (State != RunState.Running) break;
                if (_stepMode) { used += StepOne(); continue; }
            }
            used += RunBlock(Math.Min(budget - used, _debugRunLimit));
        }
        return used;
    }

    private long RunBlock(long limit)
    {
        long startRetired = InstructionsRetired;
        _blockStartRip = Rip;
        try
        {
            return ExecuteBlocks(FetchBlock(), limit);
        }
        catch (CpuFault f) when (ReferenceEquals(f, _fault))
        {
            // Rip is the faulting instruction: the blocks before it in this chain retired (already counted), and so
            // did the faulting block's instructions before it (a translation says how many; the interpreter finds them).
            int retired = _faultPosition >= 0 ? _faultPosition : RetiredBefore(_blockStartRip);
            InstructionsRetired += retired;
            if (_faultPosition >= 0) InstructionsTranslated += InstructionsRetired - _jitEntryRetired;
            _faultPosition = -1;
            _lastTransfer = Transfer.None;
            DeliverFault();
            return InstructionsRetired - startRetired + 1;
        }
    }

    private ulong _blockStartRip;

    /// <summary>
    /// Whether hot code is translated by the JIT (<see cref="Jit.RegionCompiler"/>). On by default; the interpreter and
    /// the translations have the same semantics, and tests run both.
    /// </summary>
    public bool CompileHotBlocks { get; set; } = true;

    /// <summary>Regions this CPU translated (compiled, or taken from the translations other CPUs and runs made).</summary>
    public long BlocksCompiled;

    private int RetiredBefore(ulong startRip)
    {
        // The faulting block is where the linear cache put it; its code epoch is not checked, as another CPU may have
        // invalidated code meanwhile (tracking the block in a field would cost a GC write barrier per block).
        ref var entry = ref LinearEntry(startRip);
        if (startRip == Rip || entry.Rip != startRip || entry.Epoch != _fetchEpoch || entry.Block is not { } block) return 0;
        ulong ip = startRip, mask = _ipMask;
        int k = 0;
        while (k < block.Count && ip != Rip) ip = (ip + block.Uops[k++].Length) & mask;
        return k;
    }

    // The hot loop, kept free of exception handling so the JIT keeps its state in registers. Only the
    // last instruction of a block, or one that calls RequestExit, may change NextRip (branches end
    // blocks; so do REP restarts and everything marked endsBlock), so RIP is carried in a register
    // rather than read back from NextRip, which would chain every instruction through a store-to-load.
    // A block that ran to its end continues straight into the next one when the linear cache knows it
    // (block chaining), so a run of short blocks pays no call and fetch overhead between them. A block
    // that enters a translated region (its head, or another node of it) runs the translation instead, which leaves RIP,
    // the registers and the retired count as the interpreter would.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long ExecuteBlocks(DecodedBlock block, long limit)
    {
        ulong ipMask = _ipMask;
        long total = 0;
        while (true)
        {
            ulong rip = Rip;
            _blockStartRip = rip;
            if (block.Region is { } region && region.NodeRips[block.RegionEntry] == rip && region.Translation.Code is { } code && RegionUsable(region))
            {
                _jitEntryEpoch = region.CodeEpoch;
                _jitEntryRetired = InstructionsRetired;
                long ran = code(this, limit - total, block.RegionEntry);
                _faultPosition = -1;
                if (ran > 0)
                {
                    InstructionsTranslated += ran;
                    total += ran;
                    if (_attention || total >= limit || LinearCacheHit(Rip) is not { } next) return total;
                    if (_watch != null && (next.StartsWatchedFunction || _lastTransfer is Transfer.Return or Transfer.InterruptReturn or Transfer.Event))
                        return total;
                    block = next;
                    continue;
                }
                // The head block does not fit in what is left of the budget: the interpreter runs part of it.
            }

            var uops = block.Uops;
            int count = block.Count;
            long left = limit - total;
            int n = count < left ? count : (int)left;
            int i = 0;
            while (true)
            {
                ref Uop u = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(uops), i);
                ulong next = (rip + u.Length) & ipMask;
                Rip = rip;
                NextRip = next;
                u.Exec(this, ref u);
                i++;
                if (_attention || i >= n) break;
                rip = next;
            }

            Rip = NextRip;
            // A block that enters a region already (one still being compiled, or not usable just now) forms no other.
            if (i == count && ++block.Executions == JitThreshold && CompileHotBlocks && block.Cacheable && !_dataBreakpointsArmed && block.Region is null)
                Translate(block, _blockStartRip);

            InstructionsRetired += i;
            total += i;
            if (i != count)
            {
                _lastTransfer = Transfer.None;
                return total;
            }

            _lastTransfer = block.LastTransfer;
            if (_attention || total >= limit || LinearCacheHit(Rip) is not { } following) return total;
            // Watched functions are tracked at fetch: leave the chain where an entry or a return needs looking at.
            if (_watch != null && (following.StartsWatchedFunction || _lastTransfer is Transfer.Return or Transfer.InterruptReturn or Transfer.Event))
                return total;
            block = following;
        }
    }

    /// <summary>
    /// Executes exactly one instruction with every per-instruction check (used while single-stepping,
    /// with breakpoints armed or inside an interrupt shadow).
    /// </summary>
    private long StepOne()
    {
        try
        {
            BeforeInstruction();
            var block = FetchBlock();
            ref Uop u = ref block.Uops[0];
            NextRip = _sequentialRip = (Rip + u.Length) & _ipMask;
            u.Exec(this, ref u);
            Rip = NextRip;
            InstructionsRetired++;
            _lastTransfer = block.Count == 1 ? block.LastTransfer : Transfer.None;
            AfterInstruction();
        }
        catch (CpuFault f) when (ReferenceEquals(f, _fault))
        {
            DeliverFault();
        }
        _attention |= _stepMode;
        return 1;
    }

    private ulong _ipMask => Is64 ? ulong.MaxValue : Bitness == 32 ? 0xFFFF_FFFFUL : 0xFFFFUL;

    /// <summary>The linear address of the current instruction (CS base + RIP).</summary>
    public ulong CurrentLinearIp => LinearIp(Rip);

    // The linear address of `ip` in the current code segment (no limit check).
    private ulong LinearIp(ulong ip) => Is64 ? ip : (Segs[Seg.CS].Base + ip) & 0xFFFF_FFFFUL;

    private DecodedBlock FetchBlock()
    {
        ulong rip = Rip;
        if (LinearCacheHit(rip) is { } hit)
        {
            if (_watch != null) TrackWatchedFunctions(hit, LinearIp(rip));
            return hit;
        }

        long codeEpoch = Memory.CodeEpoch;
        var block = FetchBlockByPhysicalAddress();
        if (block.Cacheable)
        {
            ref var entry = ref LinearEntry(rip);   // after the fetch: a decode may have grown the cache
            entry.Rip = rip;
            entry.Epoch = _fetchEpoch;
            entry.CodeEpoch = codeEpoch;
            entry.Block = block;
        }

        return block;
    }

    private DecodedBlock FetchBlockByPhysicalAddress()
    {
        ulong la;
        if (Is64)
        {
            la = Rip;
            if ((ulong)(((long)la << 16) >> 16) != la) RaiseFault(Vector.GP, 0);
        }
        else
        {
            if (Rip > Segs[Seg.CS].Limit) RaiseFault(Vector.GP, 0);
            la = (Segs[Seg.CS].Base + Rip) & 0xFFFF_FFFFUL;
        }
        ulong pa = (FetchPhysicalPage(la) << 12) | (la & 0xFFF);
        int slot = BlockSlot(pa);
        var b = _blocks[slot];
        if (b == null || b.PhysicalAddress != pa || b.Bitness != Bitness || !b.IsCurrent || (b.Straddles && !SecondPageSame(b, la)))
        {
            b = DecodeBlock(la, pa);
            if (b.Cacheable) _blocks[BlockSlot(pa)] = b;   // a decode may have grown the cache
        }
        if (_watch != null) TrackWatchedFunctions(b, la);
        return b;
    }

    // Decodes the block at pa and registers its bytes as code. The page's code clock is read before the bytes
    // are copied and the bytes are compared again after their lines are marked, so a write that races with the
    // decode either stamps the lines after the clock was read or is seen by the comparison (then decode again;
    // a block rewritten under every attempt runs once uncached).
    private DecodedBlock DecodeBlock(ulong la, ulong pa)
    {
        ulong ppn = pa >> 12;
        var code = Memory.TrackCode(ppn);
        var host = Memory.RamPage(pa);
        for (int attempt = 0; ; attempt++)
        {
            ulong stamp = code.Clock;
            var block = DecodeBytes(la, pa, host);
            if (block.Straddles) return block; // an instruction straddling two pages registered its own bytes
            int offset = (int)(pa & 0xFFF), length = block.ByteLength;
            Memory.MarkCode(code, ppn, offset, length);
            block.Code = code;
            block.Stamp = stamp;
            block.FirstLine = (byte)(offset / CodePage.LineSize);
            block.LastLine = (byte)((offset + length - 1) / CodePage.LineSize);
            if (host == null || new ReadOnlySpan<byte>(host + offset, length).SequenceEqual(_decodeBuffer.AsSpan(0, length))) return block;
            if (attempt == 2)
            {
                block.Cacheable = false;
                return block;
            }
        }
    }

    // One Iced decoder per code size, reused for every block over _decodeBuffer (a decoder per block was a tenth of what
    // Linux's boot allocates).
    private readonly DecodeBufferReader _decodeReader;
    private readonly Decoder?[] _decoders = new Decoder?[3];

    private Decoder BlockDecoder(int length)
    {
        _decodeReader.Reset(length);
        ref var decoder = ref _decoders[Bitness >> 5];
        decoder ??= Decoder.Create(Bitness, _decodeReader, Rip, DecoderOptions.None);
        decoder.IP = Rip;
        return decoder;
    }

    // Reads the first `length` bytes of the decode buffer, then reports the end (Iced's reader for the block decoder).
    private sealed class DecodeBufferReader(byte[] buffer) : CodeReader
    {
        private int _position, _length;

        public void Reset(int length)
        {
            _position = 0;
            _length = length;
        }

        public override int ReadByte() => _position < _length ? buffer[_position++] : -1;
    }

    private DecodedBlock DecodeBytes(ulong la, ulong pa, byte* host)
    {
        if (++BlocksDecoded > 2L * _blocks.Length && _blocks.Length < MaxBlockCache) GrowDecodeCaches();
        var block = new DecodedBlock
        {
            PhysicalAddress = pa,
            Bitness = Bitness,
            Cacheable = true,
            StartsWatchedFunction = _watch != null && _watch.Contains(la),
        };
        // A debugger breakpoint's block is that one instruction, never cached: chaining cannot run into it (DebuggerHooks).
        bool breakpoint = DebugBreakpointAt(la);

        // Bytes available without leaving the page or, outside 64-bit mode, passing the CS limit.
        int avail = (int)(0x1000 - (pa & 0xFFF));
        bool limitCut = false;
        if (!Is64)
        {
            ulong room = (ulong)Segs[Seg.CS].Limit - Rip + 1;
            if (room < (ulong)avail) { avail = (int)room; limitCut = true; }
        }
        avail = Math.Min(avail, _decodeBuffer.Length);
        if (host != null) new ReadOnlySpan<byte>(host + (pa & 0xFFF), avail).CopyTo(_decodeBuffer);
        else for (int k = 0; k < avail; k++) _decodeBuffer[k] = (byte)PhysicalRead(pa + (ulong)k, 1);

        var decoder = BlockDecoder(avail);
        int count = 0, length = 0;
        while (count < DecodedBlock.MaxInstructions)
        {
            decoder.Decode(out var instr);
            if (decoder.LastError == DecoderError.NoMoreBytes)
            {
                if (count > 0) break; // the next instruction starts a block of its own
                // Fetching past the CS limit is #GP(0) (SDM Vol. 3A §5.3); past the page end, fetch across pages.
                if (limitCut) RaiseFault(Vector.GP, 0);
                return DecodeStraddling(la);
            }
            ref Uop uop = ref _decodeUops[count];
            uop = default;
            UopBuilder.Build(in instr, ref uop);
            uop.Position = (byte)count;
            count++;
            length += instr.Length;
            if (instr.FlowControl != FlowControl.Next || HandlerTable.EndsBlock(instr.Code) || instr.Code == Code.INVALID || breakpoint) break;
            // A watched function's entry and a debugger breakpoint start a block of their own, so they are seen at fetch.
            ulong nextLa = LinearIp(decoder.IP);
            if ((_watch != null && _watch.Contains(nextLa)) || DebugBreakpointAt(nextLa)) break;
        }
        block.Uops = _decodeUops.AsSpan(0, count).ToArray();
        block.Count = count;
        if (breakpoint) block.Cacheable = false;
        block.ByteLength = length;
        block.LastTransfer = count > 0 ? TransferOf(in block.Uops[count - 1].Instr) : Transfer.None;
        return block;
    }

    // One instruction whose bytes continue on the next page (each page translated for execution; the second may #PF),
    // cached like any block: both pages' bytes are registered as code and both stamps checked, and a fetch reuses it only
    // while the second page still translates to the same physical page (SecondPageSame).
    private DecodedBlock DecodeStraddling(ulong la)
    {
        ulong pa = Translate(la, AccessKind.Execute);
        ulong secondLa = SecondPageLinear(la);
        int first = (int)(0x1000 - (la & 0xFFF));
        for (int attempt = 0; ; attempt++)
        {
            var block = new DecodedBlock
            {
                PhysicalAddress = pa, Bitness = Bitness, Cacheable = !DebugBreakpointAt(la),
                StartsWatchedFunction = _watch != null && _watch.Contains(la),
            };
            var code = Memory.TrackCode(pa >> 12);
            ulong stamp = code.Clock;
            for (int n = 0; n < first; n++) _decodeBuffer[n] = (byte)PhysicalRead(pa + (ulong)n, 1);

            // Bytes on the second page are fetched one at a time, only as far as the instruction needs them.
            var decoder = Decoder.Create(Bitness, new ByteArrayCodeReader(_decodeBuffer, 0, first), Rip, DecoderOptions.None);
            decoder.Decode(out var instr);
            int length = first;
            ulong secondPa = 0;
            CodePage? code2 = null;
            ulong stamp2 = 0;
            while (decoder.LastError == DecoderError.NoMoreBytes)
            {
                if (length == first)
                {
                    secondPa = Translate(secondLa, AccessKind.Execute);
                    code2 = Memory.TrackCode(secondPa >> 12);
                    stamp2 = code2.Clock;
                }

                if (length == 15) throw new InvalidOperationException("unreachable: no x86 instruction is longer than 15 bytes");
                _decodeBuffer[length] = (byte)PhysicalRead(secondPa + (ulong)(length - first), 1);
                length++;
                decoder = Decoder.Create(Bitness, new ByteArrayCodeReader(_decodeBuffer, 0, length), Rip, DecoderOptions.None);
                decoder.Decode(out instr);
            }

            block.Uops = new Uop[1];
            UopBuilder.Build(in instr, ref block.Uops[0]);
            block.Count = 1;
            block.LastTransfer = TransferOf(in instr);
            if (length == first)
            {
                // Unreachable from DecodeBytes (it comes here only when the page's rest is too short); never reused.
                block.Cacheable = false;
                return block;
            }

            int offset = (int)(pa & 0xFFF), second = length - first;
            block.ByteLength = first;
            block.Code = code;
            block.Stamp = stamp;
            block.FirstLine = (byte)(offset / CodePage.LineSize);
            block.LastLine = (byte)((0x1000 - 1) / CodePage.LineSize);
            block.Code2 = code2;
            block.Stamp2 = stamp2;
            block.SecondPage = secondPa >> 12;
            block.LastLine2 = (byte)((second - 1) / CodePage.LineSize);
            Memory.MarkCode(code, pa >> 12, offset, first);
            Memory.MarkCode(code2!, secondPa >> 12, 0, second);

            // As in DecodeBlock: bytes rewritten while they were read are decoded again; a block rewritten every time runs once uncached.
            bool same = true;
            for (int n = 0; n < length && same; n++)
                same = _decodeBuffer[n] == (byte)PhysicalRead(n < first ? pa + (ulong)n : secondPa + (ulong)(n - first), 1);
            if (same) return block;
            if (attempt == 2)
            {
                block.Cacheable = false;
                return block;
            }
        }
    }

    // A cached straddling block is reused only while its second page translates (for execution, so a fault is raised
    // as the fetch would) to the physical page it was decoded from.
    private bool SecondPageSame(DecodedBlock block, ulong la) =>
        Translate(SecondPageLinear(la), AccessKind.Execute) >> 12 == block.SecondPage;

    // The linear address of the page after the one holding `la` (wrapping at 4 GiB outside 64-bit mode).
    private ulong SecondPageLinear(ulong la) => Is64 ? (la | 0xFFF) + 1 : ((la | 0xFFF) + 1) & 0xFFFF_FFFFUL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int BlockSlot(ulong pa) => BlockSlot(pa, Bitness, _blocks.Length);

    private static int BlockSlot(ulong pa, int bitness, int size) => (int)((pa ^ (pa >> 13) ^ (ulong)bitness) & (ulong)(size - 1));

    // Doubles the block cache (and the linear cache with it) once the CPU has decoded twice as many blocks as it holds.
    private void GrowDecodeCaches()
    {
        var blocks = new DecodedBlock?[_blocks.Length * 2];
        foreach (var b in _blocks)
            if (b != null) blocks[BlockSlot(b.PhysicalAddress, b.Bitness, blocks.Length)] = b;
        _blocks = blocks;
        _linearBlocks = new LinearBlockEntry[blocks.Length / LinearPerBlockSlots];
    }

    /// <summary>Drops every decoded block of this CPU (used by snapshots and tests).</summary>
    public void FlushDecodeCache()
    {
        Array.Clear(_blocks);
        InvalidateFetchPath();
    }

    // Blocks found by linear RIP: valid while this CPU's translations and mode are unchanged (_fetchEpoch)
    // and no decoded code anywhere was overwritten (PhysicalMemory.CodeEpoch). A hit skips the canonical
    // and CS-limit checks, the fetch translation, the physical hash and the page-version check.
    private struct LinearBlockEntry
    {
        public ulong Rip;
        public ulong Epoch;
        public long CodeEpoch;
        public DecodedBlock? Block;
    }

    private const int LinearPerBlockSlots = 4;
    private LinearBlockEntry[] _linearBlocks = new LinearBlockEntry[MinBlockCache / LinearPerBlockSlots];
    private ulong _fetchEpoch = 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref LinearBlockEntry LinearEntry(ulong rip) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_linearBlocks), (nint)((rip ^ (rip >> 10)) & (ulong)(_linearBlocks.Length - 1)));

    // The block at linear RIP when the linear cache still vouches for it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DecodedBlock? LinearCacheHit(ulong rip)
    {
        ref var entry = ref LinearEntry(rip);
        return entry.Rip == rip && entry.Epoch == _fetchEpoch && entry.CodeEpoch == Memory.CodeEpoch ? entry.Block : null;
    }

    // Anything that changes how RIP translates or decodes: TLB flushes, mode, CS or CPL changes, the watch set.
    private void InvalidateFetchPath() => _fetchEpoch++;

    // Instruction fetches' own TLB: linear page → physical page, valid within one fetch epoch. Kernel code moves between
    // many pages; with one remembered page, every change of page walked the tables again (on Linux's boot, a tenth of
    // the interpreter's time).
    private struct FetchTlbEntry
    {
        public ulong Tag;      // linear page number | TlbUserBit at CPL 3
        public ulong Epoch;    // _fetchEpoch when filled (0: never)
        public ulong PhysPage;
    }

    private const int FetchTlbSize = 64;
    private readonly FetchTlbEntry[] _fetchTlb = new FetchTlbEntry[FetchTlbSize];

    // The physical page holding linear `la` for an instruction fetch (the page walk may raise #PF or #GP).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong FetchPhysicalPage(ulong la)
    {
        ulong tag = (la >> 12) | _tlbUserTag;
        ref var e = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_fetchTlb), (nint)((la >> 12) & (FetchTlbSize - 1)));
        if (e.Tag != tag || e.Epoch != _fetchEpoch)
        {
            e.PhysPage = Translate(la & ~0xFFFUL, AccessKind.Execute) >> 12;
            e.Tag = tag;
            e.Epoch = _fetchEpoch;
        }
        return e.PhysPage;
    }
}
