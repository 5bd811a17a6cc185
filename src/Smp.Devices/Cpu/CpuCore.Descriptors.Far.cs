namespace Smp.Devices.Cpu;

// Far JMP / CALL / RET to code segments (SDM Vol. 2A JMP, CALL; Vol. 2B RET; Vol. 3A §5.8), with
// the mode switches they perform (e.g. jmp 0x08:pm_entry after setting CR0.PE, or a far jump into
// a 64-bit code segment once IA-32e mode is active). Call gates, task gates and TSS targets are in
// CpuCore.CallGates.cs and CpuCore.TaskSwitch.cs.
public sealed partial class CpuCore
{
    /// <summary>Far JMP to <paramref name="selector"/>:<paramref name="offset"/>; sets <see cref="NextRip"/>.</summary>
    internal void FarJump(ushort selector, ulong offset)
    {
        if (!ProtectedMode || Virtual8086)
        {
            if (offset > Segs[Seg.CS].Limit) RaiseFault(Vector.GP, 0);
            LoadRealModeCs(selector);
            NextRip = offset;
            return;
        }
        if (TryFarTransferThroughSystemDescriptor(selector, isCall: false, 0)) return;
        ulong d = CheckFarCodeTarget(selector, isReturn: false, out ulong la);
        CheckCodeOffset(d, offset);
        CommitFarCode(selector, d, la, Cpl);
        NextRip = offset;
    }

    /// <summary>Far CALL: pushes CS and the return offset (<paramref name="size"/> bytes each), then jumps.</summary>
    internal void FarCall(ushort selector, ulong offset, int size)
    {
        ulong d = 0, la = 0;
        if (!ProtectedMode || Virtual8086)
        {
            if (offset > Segs[Seg.CS].Limit) RaiseFault(Vector.GP, 0);
        }
        else
        {
            if (TryFarTransferThroughSystemDescriptor(selector, isCall: true, size)) return;
            d = CheckFarCodeTarget(selector, isReturn: false, out la);
            CheckCodeOffset(d, offset);
        }
        ulong mask = StackPointerMask, sp = R[Reg.RSP];
        ulong aCs = LinearAddress(Seg.SS, (sp - (ulong)size) & mask, size, true);
        ulong aIp = LinearAddress(Seg.SS, (sp - (ulong)(2 * size)) & mask, size, true);
        WriteSized(aCs, size, Segs[Seg.CS].Selector);
        WriteSized(aIp, size, NextRip);
        if (!ProtectedMode || Virtual8086) LoadRealModeCs(selector);
        else CommitFarCode(selector, d, la, Cpl);
        SetStackPointer(sp - (ulong)(2 * size), mask);
        NextRip = offset;
    }

    /// <summary>Far RET (RETF [imm16]) with operand size <paramref name="size"/>; returns to an outer level when the popped RPL &gt; CPL.</summary>
    internal void FarReturn(int size, ushort release)
    {
        ulong mask = StackPointerMask, sp = R[Reg.RSP];
        ulong ip = PopAt(sp, mask, 0, size);
        ushort cs = (ushort)PopAt(sp, mask, 1, size);
        if (size == 2) ip &= 0xFFFF; else if (size == 4) ip &= 0xFFFF_FFFFUL;
        ulong after = sp + (ulong)(2 * size) + release;
        if (!ProtectedMode || Virtual8086)
        {
            if (ip > Segs[Seg.CS].Limit) RaiseFault(Vector.GP, 0);
            LoadRealModeCs(cs);
            SetStackPointer(after, mask);
            NextRip = ip;
            return;
        }
        ulong d = CheckFarCodeTarget(cs, isReturn: true, out ulong la);
        int rpl = cs & 3;
        if (rpl == Cpl)
        {
            CheckCodeOffset(d, ip);
            CommitFarCode(cs, d, la, Cpl);
            SetStackPointer(after, mask);
            NextRip = ip;
            return;
        }
        // Return to an outer privilege level: the outer SS:ESP follows the released parameters.
        ulong newSp = ReadSized(LinearAddress(Seg.SS, after & mask, size, false), size);
        ushort ssSel = (ushort)ReadSized(LinearAddress(Seg.SS, (after + (ulong)size) & mask, size, false), size);
        SegmentRegister newSs;
        if ((ssSel & 0xFFFC) == 0)
        {
            if (!LongModeActive || !IsLongCode(d) || rpl == 3 || (ssSel & 3) != rpl) RaiseFault(Vector.GP, 0);
            newSs = new SegmentRegister { Selector = ssSel, Attributes = (ushort)((rpl << 5) | 0x13) };
        }
        else
        {
            uint err = (uint)(ssSel & 0xFFFC);
            ulong ssd = FetchDescriptor(ssSel, Vector.GP, 0, out ulong ssLa);
            if ((ssSel & 3) != rpl || !IsWritableData(ssd) || DplOf(ssd) != rpl) RaiseFault(Vector.GP, err);
            if (!IsPresent(ssd)) RaiseFault(Vector.SS, err);
            MarkAccessed(ssLa, ssd);
            newSs = DescriptorCache(ssSel, ssd | DescAccessed);
        }
        CheckCodeOffset(d, ip);
        Segs[Seg.SS] = newSs;
        _effectiveBase[Seg.SS] = newSs.Base;
        CommitFarCode(cs, d, la, rpl);
        ulong newMask = StackPointerMask;
        SetStackPointer(size == 8 ? newSp + release : (newSp + release) & (size == 4 ? 0xFFFF_FFFFUL : newMask), size == 8 ? ulong.MaxValue : newMask);
        NullInaccessibleDataSegments();
        NextRip = ip;
    }

    /// <summary>POP Sreg: reads a <paramref name="size"/>-byte slot, loads the segment, then releases the slot.</summary>
    internal void PopSelector(int seg, int size)
    {
        ulong mask = StackPointerMask, sp = R[Reg.RSP];
        ushort selector = (ushort)ReadSized(LinearAddress(Seg.SS, sp, size, false), size);
        LoadDataSegment(seg, selector);
        SetStackPointer(sp + (ulong)size, mask);
    }
}
