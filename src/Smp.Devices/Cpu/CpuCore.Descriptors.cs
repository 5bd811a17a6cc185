namespace Smp.Devices.Cpu;

// Segment descriptors (SDM Vol. 3A §3.4.5, §5.2–5.8): fetching from the GDT/LDT with implicit
// supervisor reads, the accessed bit, the hidden-cache format, and loading data/stack segment
// registers with the protection checks of MOV/POP Sreg and LDS/LES/LFS/LGS/LSS.
public sealed partial class CpuCore
{
    private const ulong DescAccessed = 1UL << 40;

    /// <summary>The hidden-cache image of an 8-byte descriptor: base, limit scaled by G, attribute bytes 5–6.</summary>
    internal static SegmentRegister DescriptorCache(ushort selector, ulong d)
    {
        uint limit = (uint)(d & 0xFFFF) | (uint)((d >> 32) & 0xF_0000);
        if ((d & (1UL << 55)) != 0) limit = (limit << 12) | 0xFFF;
        ulong baseAddr = ((d >> 16) & 0xFF_FFFF) | (((d >> 56) & 0xFF) << 24);
        return new SegmentRegister { Selector = selector, Base = baseAddr, Limit = limit, Attributes = (ushort)((d >> 40) & 0xF0FF) };
    }

    /// <summary>
    /// The linear address of the descriptor named by <paramref name="selector"/>, or false when the
    /// index lies beyond the GDT/LDT limit (or TI = 1 with an unusable LDTR).
    /// </summary>
    internal bool TryDescriptorAddress(ushort selector, out ulong la)
    {
        ulong offset = (ulong)(selector & 0xFFF8);
        if ((selector & 4) != 0)
        {
            la = Ldtr.Base + offset;
            return Ldtr.Present && (Ldtr.Selector & 0xFFFC) != 0 && offset + 7 <= Ldtr.Limit;
        }
        la = Gdtr.Base + offset;
        return offset + 7 <= Gdtr.Limit;
    }

    /// <summary>Reads the descriptor for a non-null selector, raising <paramref name="vector"/>(selector + ext) when outside the table.</summary>
    internal ulong FetchDescriptor(ushort selector, int vector, uint ext, out ulong la)
    {
        if (!TryDescriptorAddress(selector, out la)) RaiseFault(vector, (uint)(selector & 0xFFFC) | ext);
        return ReadLinear(la, 8, AccessKind.System);
    }

    /// <summary>Sets the accessed bit of a code/data descriptor in memory if clear (SDM Vol. 3A §3.4.5.1).</summary>
    internal void MarkAccessed(ulong la, ulong d)
    {
        if ((d & DescAccessed) == 0) WriteLinear(la + 5, 1, (byte)((d >> 40) | 1), AccessKind.System);
    }

    internal static bool IsCode(ulong d) => (d & (3UL << 43)) == (3UL << 43);           // S = 1, type bit 3
    internal static bool IsData(ulong d) => (d & (3UL << 43)) == (1UL << 44);           // S = 1, type bit 3 clear
    internal static bool IsWritableData(ulong d) => IsData(d) && (d & (1UL << 41)) != 0;
    internal static bool IsReadableCode(ulong d) => IsCode(d) && (d & (1UL << 41)) != 0;
    internal static bool IsConforming(ulong d) => IsCode(d) && (d & (1UL << 42)) != 0;
    internal static bool IsPresent(ulong d) => (d & (1UL << 47)) != 0;
    internal static int DplOf(ulong d) => (int)((d >> 45) & 3);
    internal static bool IsLongCode(ulong d) => (d & (1UL << 53)) != 0;
    internal static bool IsBigCode(ulong d) => (d & (1UL << 54)) != 0;

    /// <summary>
    /// Loads a data or stack segment register (ES, SS, DS, FS, GS) as MOV/POP Sreg and LxS do.
    /// Real and virtual-8086 mode: base = selector × 16 with limit and attributes kept (so "unreal mode" survives).
    /// Protected/IA-32e mode: SDM Vol. 3A §5.10.1 / Vol. 2A MOV pseudo-code checks.
    /// </summary>
    internal void LoadDataSegment(int seg, ushort selector)
    {
        if (!ProtectedMode || Virtual8086)
        {
            Segs[seg].Selector = selector;
            Segs[seg].Base = (ulong)selector << 4;
            _effectiveBase[seg] = Segs[seg].Base;
            return;
        }
        int rpl = selector & 3;
        if ((selector & 0xFFFC) == 0)
        {
            if (seg == Seg.SS)
            {
                // A null SS is allowed only in 64-bit mode at CPL < 3 with RPL = CPL (SDM Vol. 2A MOV).
                if (!Is64 || Cpl == 3 || rpl != Cpl) RaiseFault(Vector.GP, 0);
                Segs[Seg.SS] = new SegmentRegister { Selector = selector, Attributes = (ushort)((Cpl << 5) | 0x13) };
            }
            else
            {
                // Null data selectors load an unusable cache; referencing it later raises #GP(0).
                Segs[seg] = new SegmentRegister { Selector = selector };
            }
            _effectiveBase[seg] = 0;
            return;
        }
        ulong d = FetchDescriptor(selector, Vector.GP, 0, out ulong la);
        uint err = (uint)(selector & 0xFFFC);
        int dpl = DplOf(d);
        if (seg == Seg.SS)
        {
            if (rpl != Cpl || !IsWritableData(d) || dpl != Cpl) RaiseFault(Vector.GP, err);
            if (!IsPresent(d)) RaiseFault(Vector.SS, err);
        }
        else
        {
            if (!IsData(d) && !IsReadableCode(d)) RaiseFault(Vector.GP, err);
            // Data and non-conforming code: both RPL and CPL must be <= DPL (SDM Vol. 3A §5.6).
            if (!IsConforming(d) && (rpl > dpl || Cpl > dpl)) RaiseFault(Vector.GP, err);
            if (!IsPresent(d)) RaiseFault(Vector.NP, err);
        }
        MarkAccessed(la, d);
        var cache = DescriptorCache(selector, d | DescAccessed);
        Segs[seg] = cache;
        _effectiveBase[seg] = Is64 && seg < Seg.FS ? 0 : cache.Base;
    }

    /// <summary>
    /// Checks a far JMP/CALL/RET target code segment (no gates) and returns its descriptor; the
    /// caller commits with <see cref="CommitFarCode"/>. <paramref name="isReturn"/> applies the RET rules
    /// (RPL ≥ CPL, conforming DPL ≤ RPL, non-conforming DPL = RPL).
    /// </summary>
    internal ulong CheckFarCodeTarget(ushort selector, bool isReturn, out ulong la)
    {
        if ((selector & 0xFFFC) == 0) RaiseFault(Vector.GP, 0);
        ulong d = FetchDescriptor(selector, Vector.GP, 0, out la);
        uint err = (uint)(selector & 0xFFFC);
        // System descriptors reach here only for RET (far JMP/CALL handle gates and TSSs first): #GP(selector).
        if (!IsCode(d)) RaiseFault(Vector.GP, err);
        int rpl = selector & 3, dpl = DplOf(d);
        if (isReturn)
        {
            if (rpl < Cpl) RaiseFault(Vector.GP, err);
            if (IsConforming(d) ? dpl > rpl : dpl != rpl) RaiseFault(Vector.GP, err);
        }
        else if (IsConforming(d))
        {
            if (dpl > Cpl) RaiseFault(Vector.GP, err);
        }
        else if (rpl > Cpl || dpl != Cpl) RaiseFault(Vector.GP, err);
        // In IA-32e mode a code segment with L = 1 and D = 1 is reserved (SDM Vol. 3A §5.2.1).
        if (LongModeActive && IsLongCode(d) && IsBigCode(d)) RaiseFault(Vector.GP, err);
        if (!IsPresent(d)) RaiseFault(Vector.NP, err);
        return d;
    }

    /// <summary>Checks the new RIP against the target code segment: canonical for 64-bit code, else the limit (#GP(0)).</summary>
    internal void CheckCodeOffset(ulong d, ulong offset)
    {
        if (LongModeActive && IsLongCode(d))
        {
            if ((ulong)(((long)offset << 16) >> 16) != offset) RaiseFault(Vector.GP, 0);
        }
        else if (offset > DescriptorCache(0, d).Limit) RaiseFault(Vector.GP, 0);
    }

    /// <summary>Loads CS from a checked descriptor with RPL = <paramref name="cpl"/>, sets CPL and recomputes the mode.</summary>
    internal void CommitFarCode(ushort selector, ulong d, ulong la, int cpl)
    {
        MarkAccessed(la, d);
        SetCodeSegment(selector, d | DescAccessed, cpl);
        UpdateModeObserved();
    }

    /// <summary>Real-mode far transfer: CS base = selector × 16, limit and attributes unchanged.</summary>
    internal void LoadRealModeCs(ushort selector)
    {
        Segs[Seg.CS].Selector = selector;
        Segs[Seg.CS].Base = (ulong)selector << 4;
        UpdateModeObserved();
    }

    /// <summary>UpdateMode plus the observer's mode-change fact.</summary>
    internal void UpdateModeObserved()
    {
        var before = Mode;
        UpdateMode();
        if (Mode != before) Observer?.ModeChanged(this, before, Mode);
    }

    /// <summary>
    /// After a return to an outer privilege level, data segment registers whose DPL is below the new
    /// CPL (data or non-conforming code) are loaded with a null selector (SDM Vol. 2A IRET/RET). The
    /// pseudo-code assigns only the selector: the register becomes unusable but its hidden base stays,
    /// and 64-bit code still addresses through the FS/GS base (a kernel that returned from CPL 3 by an
    /// interrupt keeps its per-CPU GS base without reloading it, as kvm-unit-tests' usermode helper does).
    /// </summary>
    internal void NullInaccessibleDataSegments()
    {
        Span<int> segs = [Seg.ES, Seg.DS, Seg.FS, Seg.GS];
        foreach (int s in segs)
        {
            ref var r = ref Segs[s];
            bool conformingCode = (r.Attributes & 0x1C) == 0x1C;
            if ((r.Attributes & 0x10) != 0 && !conformingCode && r.Dpl < Cpl)
            {
                r = new SegmentRegister { Selector = 0, Base = r.Base };
                _effectiveBase[s] = Is64 && s < Seg.FS ? 0 : r.Base;
            }
        }
    }
}
