namespace Smp.Devices.Cpu;

// IRET / IRETD / IRETQ (SDM Vol. 2A IRET pseudo-code; Vol. 3A §6.12.1, §6.14.3) and the NMI
// unblocking every IRET performs (§6.7.1). All pops and checks precede any commit.
public sealed partial class CpuCore
{
    /// <summary>Executes IRET with an operand size of <paramref name="size"/> bytes (2, 4 or 8); sets <see cref="NextRip"/>.</summary>
    internal void ExecuteIret(int size)
    {
        ulong fromRip = Rip;
        var before = Mode;
        if (!ProtectedMode) IretReal(size);
        else if (Virtual8086) IretInVirtual8086(size);
        else if ((RflagsBits & Rflags.NT) != 0)
        {
            // NT = 1: a return to the task in the current TSS's back link; IA-32e mode has no task switching (#GP(0)).
            if (LongModeActive) RaiseFault(Vector.GP, 0);
            ReturnToPreviousTask();
        }
        else IretProtected(size);
        // Any IRET ends NMI blocking, even one returning from a #DB/#BP/#PF nested in the NMI
        // handler (SDM Vol. 3A §6.7.1; fact sheet C1). A latched NMI is taken right afterwards.
        _nmiBlocked = false;
        if (_eventDepth > 0) _eventDepth--;
        RecomputeStepMode();
        RequestExit();
        if (Observer is { } o)
        {
            if (Mode != before) o.ModeChanged(this, before, Mode);
            o.Iret(this, fromRip, NextRip);
        }
    }

    // IRET "TASK-RETURN" (SDM Vol. 2A): the back link must name a busy TSS in the GDT (#TS), present (#NP).
    private void ReturnToPreviousTask()
    {
        ushort link = (ushort)ReadLinear(Tr.Base, 2, AccessKind.System);
        ulong d = CheckTaskTarget(link, TaskSwitchSource.Iret, 0, out ulong la);
        SwitchTask(link, d, la, TaskSwitchSource.Iret, NextRip, GetRflags(), 0);
    }

    // Which RFLAGS bits IRET may load (SDM Vol. 2A IRET): IOPL only at CPL 0, IF at CPL ≤ IOPL;
    // 16-bit IRET loads only the low word. VM is handled by the virtual-8086 paths; VIF and VIP are not loaded (no VME).
    private ulong ComposeIretFlags(ulong popped, int size, int cpl)
    {
        ulong old = GetRflags();
        ulong changeable = Rflags.Arithmetic | Rflags.TF | Rflags.DF | Rflags.NT;
        if (size >= 4) changeable |= Rflags.RF | Rflags.AC | Rflags.ID;
        if (cpl == 0) changeable |= Rflags.IOPL | Rflags.IF;
        else if (cpl <= (int)((old >> 12) & 3)) changeable |= Rflags.IF;
        if (size == 2) changeable &= 0xFFFF;
        return (old & ~changeable) | (popped & changeable);
    }

    private ulong PopAt(ulong sp, ulong mask, int index, int size) =>
        ReadSized(LinearAddress(Seg.SS, (sp + (ulong)(index * size)) & mask, size, false), size);

    private void IretReal(int size)
    {
        ulong mask = StackPointerMask, sp = R[Reg.RSP];
        ulong ip = PopAt(sp, mask, 0, size);
        ushort cs = (ushort)PopAt(sp, mask, 1, size);
        ulong fl = PopAt(sp, mask, 2, size);
        if (size == 2) ip &= 0xFFFF; else ip &= 0xFFFF_FFFFUL;
        if (ip > Segs[Seg.CS].Limit) RaiseFault(Vector.GP, 0);
        SetRflags(ComposeIretFlags(fl, size, 0));
        SetStackPointer(sp + (ulong)(3 * size), mask);
        LoadRealModeCs(cs);
        NextRip = ip;
    }

    private void IretProtected(int size)
    {
        ulong mask = StackPointerMask, sp = R[Reg.RSP];
        ulong rip = PopAt(sp, mask, 0, size);
        ushort csSel = (ushort)PopAt(sp, mask, 1, size);
        ulong fl = PopAt(sp, mask, 2, size);
        if (size == 2) rip &= 0xFFFF; else if (size == 4) rip &= 0xFFFF_FFFFUL;
        // A 32-bit IRET at CPL 0 with VM = 1 in the image returns to virtual-8086 mode (not from IA-32e mode).
        if (size == 4 && (fl & Rflags.VM) != 0 && Cpl == 0 && !LongModeActive)
        {
            IretToVirtual8086(sp, mask);
            return;
        }
        ulong csd = CheckFarCodeTarget(csSel, isReturn: true, out ulong csLa);
        int rpl = csSel & 3;
        // 64-bit mode always pops SS:RSP; elsewhere only on a return to an outer level (§6.14.3).
        bool popStack = Is64 || rpl > Cpl;
        ulong newSp = 0;
        ushort ssSel = 0;
        ulong ssd = 0, ssLa = 0;
        bool nullSs = false;
        if (popStack)
        {
            newSp = PopAt(sp, mask, 3, size);
            ssSel = (ushort)PopAt(sp, mask, 4, size);
            if ((ssSel & 0xFFFC) == 0)
            {
                // A null SS may be loaded only when returning to 64-bit code at CPL < 3 (SDM Vol. 2A IRET).
                if (!LongModeActive || !IsLongCode(csd) || rpl == 3 || (ssSel & 3) != rpl) RaiseFault(Vector.GP, 0);
                nullSs = true;
            }
            else
            {
                uint ssError = (uint)(ssSel & 0xFFFC);
                ssd = FetchDescriptor(ssSel, Vector.GP, 0, out ssLa);
                if ((ssSel & 3) != rpl || !IsWritableData(ssd) || DplOf(ssd) != rpl) RaiseFault(Vector.GP, ssError);
                if (!IsPresent(ssd)) RaiseFault(Vector.SS, ssError);
            }
        }
        CheckCodeOffset(csd, rip);
        if (popStack && !nullSs) MarkAccessed(ssLa, ssd);

        // Commit: flags with the old CPL's rules, then CS/CPL, then the stack.
        int oldCpl = Cpl;
        SetRflags(ComposeIretFlags(fl, size, oldCpl));
        if (popStack)
        {
            if (nullSs) Segs[Seg.SS] = new SegmentRegister { Selector = ssSel, Attributes = (ushort)((rpl << 5) | 0x13) };
            else Segs[Seg.SS] = DescriptorCache(ssSel, ssd | DescAccessed);
            _effectiveBase[Seg.SS] = Segs[Seg.SS].Base;
        }
        CommitFarCode(csSel, csd, csLa, rpl);
        if (popStack)
        {
            if (size == 8) R[Reg.RSP] = newSp;
            else if (size == 4) R[Reg.RSP] = (uint)newSp;
            else SetStackPointer(newSp & 0xFFFF, StackPointerMask == 0xFFFFUL ? 0xFFFFUL : 0xFFFF_FFFFUL);
        }
        else SetStackPointer(sp + (ulong)(3 * size), mask);
        if (rpl > oldCpl) NullInaccessibleDataSegments();
        NextRip = rip;
    }
}
