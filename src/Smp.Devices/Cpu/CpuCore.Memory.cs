using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Smp.Devices.Cpu;

// Linear memory access. The fast path is a direct-mapped software TLB whose entries point straight
// at host RAM; anything else (MMIO, ROM, the local APIC page, page-crossing accesses, data
// breakpoints, pages holding decoded code for writes) takes the slow path. A write entry for a page
// that holds decoded code carries TlbCodeBit, which no lookup tag has: such writes miss the fast path
// and take a short one (WriteToCodePage) that skips the page walk but lets memory invalidate what
// they overwrite.
public sealed unsafe partial class CpuCore
{
    private const int TlbSize = 256;
    private const ulong TlbUserBit = 1UL << 63;
    private const ulong TlbCodeBit = 1UL << 62;
    private const ulong TlbInvalid = ulong.MaxValue;

    private struct TlbEntry
    {
        public ulong Tag;        // linear page number | TlbUserBit when filled for a CPL 3 access
        public byte* Host;       // host address of the physical page
        public ulong PhysPage;   // physical page number
    }

    // Stored inline in the CPU object: a lookup is one address computation from `this`, no array reference to load.
    [InlineArray(TlbSize)]
    private struct TlbArray
    {
        private TlbEntry _element0;
    }

    private TlbArray _readTlb;
    private TlbArray _writeTlb;
    private ulong _tlbUserTag;

    /// <summary>Physical base of this CPU's local APIC window when it is enabled in xAPIC mode, else ulong.MaxValue.</summary>
    public ulong ApicWindow = ulong.MaxValue;

    /// <summary>The local APIC's MMIO handler, consulted before the shared bus for accesses to <see cref="ApicWindow"/>.</summary>
    public Memory.IMmioDevice? LocalApicMmio;

    /// <summary>Drops every cached translation (MOV to CR3/CR0/CR4, mode changes).</summary>
    public void FlushTlb()
    {
        for (int i = 0; i < TlbSize; i++) { _readTlb[i].Tag = TlbInvalid; _writeTlb[i].Tag = TlbInvalid; }
        InvalidateFetchPath();
    }

    /// <summary>
    /// Drops the cached translations of the page holding <paramref name="linear"/> (INVLPG). The TLB
    /// caches 4 KiB pieces even of 2 MiB, 4 MiB and 1 GiB pages, and INVLPG must drop the whole large page
    /// (SDM Vol. 3A §4.10.4.1), so every entry in the enclosing 1 GiB region is dropped.
    /// </summary>
    public void FlushTlbPage(ulong linear)
    {
        const ulong flags = TlbUserBit | TlbCodeBit;
        ulong region = (linear >> 30) & (~flags >> 18);
        for (int i = 0; i < TlbSize; i++)
        {
            if (((_readTlb[i].Tag & ~flags) >> 18) == region) _readTlb[i].Tag = TlbInvalid;
            if (((_writeTlb[i].Tag & ~flags) >> 18) == region) _writeTlb[i].Tag = TlbInvalid;
        }
        InvalidateFetchPath();
    }

    // The TLB arrays have TlbSize entries and the index is masked to that, so no bounds check is needed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref TlbEntry TlbSlot(ref TlbArray tlb, ulong la) =>
        ref Unsafe.Add(ref Unsafe.As<TlbArray, TlbEntry>(ref tlb), (nint)((la >> 12) & (TlbSize - 1)));

    /// <summary>
    /// The host address of linear <paramref name="la"/> when the TLB already holds a plain RAM entry for its page (a hit
    /// of the fast path, so the access can fault nowhere and has no side effect beyond the bytes), else null. Repeated
    /// string instructions use it to move whole runs of elements inside one page at a time.
    /// </summary>
    internal byte* FastPathHost(ulong la, bool write)
    {
        ref var e = ref TlbSlot(ref write ? ref _writeTlb : ref _readTlb, la);
        return e.Tag == ((la >> 12) | _tlbUserTag) ? e.Host + (la & 0xFFF) : null;
    }

    // ---- effective and linear addresses -------------------------------------------------------

    /// <summary>The effective address (offset within the segment) of the memory operand of <paramref name="u"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong EffectiveAddress(ref Uop u) =>
        ((ulong)u.Disp + Gpr(u.Base) + (Gpr(u.Index) << u.Scale) + (NextRip & u.RipRelativeMask)) & u.AddrMask;

    /// <summary>
    /// The linear address of the memory operand of <paramref name="u"/> for an access of
    /// <paramref name="size"/> bytes, after segment checks (limits and types outside 64-bit mode,
    /// canonical form in 64-bit mode).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong OperandAddress(ref Uop u, int size, bool write) => LinearAddress(u.Seg, EffectiveAddress(ref u), size, write);

    /// <summary>Forms the linear address of <paramref name="offset"/> in segment <paramref name="seg"/>, with the segment checks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong LinearAddress(int seg, ulong offset, int size, bool write)
    {
        if (Is64)
        {
            // A non-canonical address is #SS through SS and #GP otherwise (SDM Vol. 3A §6.15; fact G.3).
            // Only the stack case is checked here: no TLB entry holds a non-canonical page, so any other
            // non-canonical access misses the TLB and the page walk raises #GP (see Translate).
            ulong la = Unsafe.Add(ref Unsafe.As<SegmentBases, ulong>(ref _effectiveBase), seg) + offset;
            if (seg == Seg.SS && (ulong)(((long)la << 16) >> 16) != la) RaiseFault(Vector.SS, 0);
            return la;
        }
        return LegacyLinearAddress(seg, offset, size, write);
    }

    private ulong LegacyLinearAddress(int seg, ulong offset, int size, bool write)
    {
        ref var s = ref Segs[seg];
        if (ProtectedMode)
        {
            // SDM Vol. 3A §5.4.1, §5.3: null or unusable segments fault; writes need a writable data segment.
            if ((s.Attributes & 0x80) == 0) RaiseSegmentFault(seg);
            if (write && ((s.Attributes & 0x08) != 0 || (s.Attributes & 0x02) == 0)) RaiseSegmentFault(seg);
            if (!write && (s.Attributes & 0x0A) == 0x08) RaiseSegmentFault(seg); // execute-only code
        }
        ulong last = offset + (ulong)size - 1;
        if (s.ExpandDown)
        {
            ulong upper = s.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
            if (offset <= s.Limit || last > upper) RaiseSegmentFault(seg);
        }
        else if (last > s.Limit) RaiseSegmentFault(seg);
        return (s.Base + offset) & 0xFFFF_FFFFUL;
    }

    private void RaiseSegmentFault(int seg)
    {
        if (seg == Seg.SS) RaiseFault(Vector.SS, 0);
        RaiseFault(Vector.GP, 0);
    }


    // ---- typed linear reads and writes ------------------------------------------------------

    /// <summary>Reads a byte at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Read8(ulong la)
    {
        ref var e = ref TlbSlot(ref _readTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag)) return e.Host[la & 0xFFF];
        return (byte)ReadSlow(la, 1, AccessKind.Read);
    }

    /// <summary>Reads a 16-bit value at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort Read16(ulong la)
    {
        ref var e = ref TlbSlot(ref _readTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag) && (la & 0xFFF) <= 0xFFE) return Unsafe.ReadUnaligned<ushort>(e.Host + (la & 0xFFF));
        return (ushort)ReadSlow(la, 2, AccessKind.Read);
    }

    /// <summary>Reads a 32-bit value at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read32(ulong la)
    {
        ref var e = ref TlbSlot(ref _readTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag) && (la & 0xFFF) <= 0xFFC) return Unsafe.ReadUnaligned<uint>(e.Host + (la & 0xFFF));
        return (uint)ReadSlow(la, 4, AccessKind.Read);
    }

    /// <summary>Reads a 64-bit value at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Read64(ulong la)
    {
        ref var e = ref TlbSlot(ref _readTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag) && (la & 0xFFF) <= 0xFF8) return Unsafe.ReadUnaligned<ulong>(e.Host + (la & 0xFFF));
        return ReadSlow(la, 8, AccessKind.Read);
    }

    /// <summary>Writes a byte at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write8(ulong la, byte v)
    {
        ref var e = ref TlbSlot(ref _writeTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag)) e.Host[la & 0xFFF] = v;
        else WriteSlow(la, 1, v, AccessKind.Write);
    }

    /// <summary>Writes a 16-bit value at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(ulong la, ushort v)
    {
        ref var e = ref TlbSlot(ref _writeTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag) && (la & 0xFFF) <= 0xFFE) Unsafe.WriteUnaligned(e.Host + (la & 0xFFF), v);
        else WriteSlow(la, 2, v, AccessKind.Write);
    }

    /// <summary>Writes a 32-bit value at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write32(ulong la, uint v)
    {
        ref var e = ref TlbSlot(ref _writeTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag) && (la & 0xFFF) <= 0xFFC) Unsafe.WriteUnaligned(e.Host + (la & 0xFFF), v);
        else WriteSlow(la, 4, v, AccessKind.Write);
    }

    /// <summary>Writes a 64-bit value at a linear address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write64(ulong la, ulong v)
    {
        ref var e = ref TlbSlot(ref _writeTlb, la);
        if (e.Tag == ((la >> 12) | _tlbUserTag) && (la & 0xFFF) <= 0xFF8) Unsafe.WriteUnaligned(e.Host + (la & 0xFFF), v);
        else WriteSlow(la, 8, v, AccessKind.Write);
    }

    /// <summary>Reads <paramref name="size"/> bytes (1, 2, 4, 8) at a linear address, zero-extended.</summary>
    public ulong ReadSized(ulong la, int size) => size switch
    {
        1 => Read8(la),
        2 => Read16(la),
        4 => Read32(la),
        _ => Read64(la),
    };

    /// <summary>Writes the low <paramref name="size"/> bytes (1, 2, 4, 8) of <paramref name="v"/> at a linear address.</summary>
    public void WriteSized(ulong la, int size, ulong v)
    {
        switch (size)
        {
            case 1: Write8(la, (byte)v); break;
            case 2: Write16(la, (ushort)v); break;
            case 4: Write32(la, (uint)v); break;
            default: Write64(la, v); break;
        }
    }

    /// <summary>
    /// Reads with explicit access rights (e.g. <see cref="AccessKind.System"/> for descriptor tables
    /// and the TSS), always through the page walk checks.
    /// </summary>
    public ulong ReadLinear(ulong la, int size, AccessKind kind) => ReadSlow(la, size, kind);

    /// <summary>Writes with explicit access rights (e.g. setting a descriptor's busy or accessed bit).</summary>
    public void WriteLinear(ulong la, int size, ulong v, AccessKind kind) => WriteSlow(la, size, v, kind | AccessKind.Write);

    // ---- slow paths -------------------------------------------------------------------------

    private ulong ReadSlow(ulong la, int size, AccessKind kind)
    {
        if (((la & 0xFFF) + (ulong)size) > 0x1000)
        {
            // Split at the page boundary; both halves are translated before either value is used.
            int first = (int)(0x1000 - (la & 0xFFF));
            ulong lo = ReadSlowBytes(la, first, kind);
            ulong hi = ReadSlowBytes(la + (ulong)first, size - first, kind);
            return lo | (hi << (first * 8));
        }
        return ReadSlowBytes(la, size, kind);
    }

    private ulong ReadSlowBytes(ulong la, int size, AccessKind kind)
    {
        CheckDataBreakpoint(la, size, write: false, kind);
        if (_debugWatchArmed) DebuggerWatchAccess(la, size, write: false, kind);
        ulong pa = Translate(la, kind);
        ulong value = PhysicalRead(pa, size);
        if ((kind & AccessKind.System) == 0) FillTlb(write: false, la, pa);
        return value;
    }

    private void WriteSlow(ulong la, int size, ulong v, AccessKind kind)
    {
        if (((la & 0xFFF) + (ulong)size) > 0x1000)
        {
            // Translate both pages first so that a #PF on the second leaves memory untouched.
            int first = (int)(0x1000 - (la & 0xFFF));
            ulong pa1 = Translate(la, kind);
            ulong pa2 = Translate(la + (ulong)first, kind);
            CheckDataBreakpoint(la, size, write: true, kind);
            if (_debugWatchArmed) DebuggerWatchAccess(la, size, write: true, kind);
            for (int i = 0; i < size; i++)
                PhysicalWrite(i < first ? pa1 + (ulong)i : pa2 + (ulong)(i - first), 1, (v >> (i * 8)) & 0xFF);
            return;
        }
        if (kind == AccessKind.Write)
        {
            ref var e = ref TlbSlot(ref _writeTlb, la);
            if (e.Tag == ((la >> 12) | _tlbUserTag | TlbCodeBit))
            {
                WriteToCodePage((e.PhysPage << 12) | (la & 0xFFF), size, v);
                return;
            }
        }
        ulong pa = Translate(la, kind);
        CheckDataBreakpoint(la, size, write: true, kind);
        if (_debugWatchArmed) DebuggerWatchAccess(la, size, write: true, kind);
        PhysicalWrite(pa, size, v);
        if ((kind & AccessKind.System) == 0) FillTlb(write: true, la, pa);
    }

    /// <summary>A physical read as this CPU sees it: its own local APIC window first, then the shared bus.</summary>
    public ulong PhysicalRead(ulong pa, int size)
    {
        if (StopAtDeviceOrEvent && ReachesDevice(pa)) NoteDeviceAccess();
        if ((pa & ~0xFFFUL) == ApicWindow && LocalApicMmio is { } apic) return apic.Read(pa, size);
        return Memory.Read(pa, size);
    }

    /// <summary>
    /// A physical write as this CPU sees it. A write that overwrites decoded code ends the current block after
    /// this instruction, so the next instruction is fetched from what was written (SDM Vol. 3A §8.1.3).
    /// </summary>
    public void PhysicalWrite(ulong pa, int size, ulong v)
    {
        if (StopAtDeviceOrEvent && ReachesDevice(pa)) NoteDeviceAccess();
        if ((pa & ~0xFFFUL) == ApicWindow && LocalApicMmio is { } apic) { apic.Write(pa, size, v); return; }
        long epoch = Memory.CodeEpoch;
        Memory.Write(pa, size, v);
        if (Memory.CodeEpoch != epoch) RequestExit();
    }

    // Whether a physical access at `pa` reaches a device: this CPU's local APIC window or a memory-mapped device.
    private bool ReachesDevice(ulong pa) => ((pa & ~0xFFFUL) == ApicWindow && LocalApicMmio != null) || Memory.IsMmio(pa);

    // A write through a code-page TLB entry: plain RAM, no breakpoints (those entries are only filled then).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteToCodePage(ulong pa, int size, ulong v)
    {
        long epoch = Memory.CodeEpoch;
        Memory.WriteRam(pa, size, v);
        if (Memory.CodeEpoch != epoch) RequestExit();
    }

    private void FillTlb(bool write, ulong la, ulong pa)
    {
        // Only plain RAM pages without breakpoints are cached. A write entry marks the page dirty (the
        // first fast-path write to it since the entry was filled: snapshots), and on a page holding
        // decoded code it is tagged so that writes miss the fast path and reach memory's invalidation.
        // A user page reached by a supervisor access that SMAP let through (EFLAGS.AC = 1) is not cached, nor is a page a
        // debugger watches.
        if (_dataBreakpointsArmed || _smapSensitiveTranslation || (_debugWatchArmed && DebuggerWatchesPage(la))) return;
        ulong ppn = pa >> 12;
        if ((pa & ~0xFFFUL) == ApicWindow) return;
        byte* host = Memory.RamPage(pa);
        if (host == null) return;
        ulong tag = (la >> 12) | _tlbUserTag;
        ref var e = ref TlbSlot(ref write ? ref _writeTlb : ref _readTlb, la);
        if (write)
        {
            Memory.MarkPageDirty(ppn);
            if (Memory.IsCodePage(ppn)) tag |= TlbCodeBit;
        }
        e.Host = host;
        e.PhysPage = ppn;
        e.Tag = tag;
        if (write && (tag & TlbCodeBit) == 0)
        {
            // Code may have been decoded from the page since the check (another CPU, parallel dispatcher): either
            // this second check sees it, or that CPU's CodePageMarked revocation sees the entry just stored.
            Interlocked.MemoryBarrier();
            if (Memory.IsCodePage(ppn)) e.Tag = tag | TlbCodeBit;
        }
    }

    /// <summary>
    /// Drops plain write-TLB entries for a physical page that now holds decoded code (<see cref="Memory.PhysicalMemory.CodePageMarked"/>),
    /// so that the next write to it reaches memory's invalidation. Runs on the decoding CPU's thread.
    /// </summary>
    private void ForgetWritablePage(ulong ppn)
    {
        for (int i = 0; i < TlbSize; i++)
        {
            ref var e = ref _writeTlb[i];
            if (e.PhysPage == ppn && (e.Tag & TlbCodeBit) == 0) e.Tag = TlbInvalid;
        }
    }
}
