namespace Smp.Devices.Cpu;

// Far JMP and CALL whose selector names a system descriptor (SDM Vol. 2A JMP and CALL pseudo-code, Vol. 3A §5.8.3–5.8.6,
// §7.3): call gates (16- and 32-bit in legacy mode, 64-bit in IA-32e mode), with the stack switch and parameter
// copy of a CALL to a more privileged level, task gates and TSS descriptors (a task switch; not in IA-32e mode).
public sealed partial class CpuCore
{
    private const int CallGate16 = 0x4, CallGate32 = 0xC;

    /// <summary>
    /// Handles a far JMP/CALL to <paramref name="selector"/> when it names a system descriptor; returns false for a
    /// code or data segment descriptor (the caller's ordinary path checks it). Sets <see cref="NextRip"/>.
    /// </summary>
    /// <param name="selector">The far pointer's selector.</param>
    /// <param name="isCall">CALL rather than JMP.</param>
    /// <param name="returnSize">CALL's operand size in bytes (its pushes when no gate decides them).</param>
    internal bool TryFarTransferThroughSystemDescriptor(ushort selector, bool isCall, int returnSize)
    {
        if ((selector & 0xFFFC) == 0 || !TryDescriptorAddress(selector, out ulong la)) return false;
        ulong d = ReadLinear(la, 8, AccessKind.System);
        if ((d & (1UL << 44)) != 0) return false;
        uint err = (uint)(selector & 0xFFFC);
        int type = (int)((d >> 40) & 0xF), dpl = DplOf(d), rpl = selector & 3;
        if (LongModeActive)
        {
            // IA-32e mode keeps only 64-bit call gates (type 0CH); TSS descriptors and task gates are #GP (§5.8.3.1, §7.7).
            if (type != CallGate32) RaiseFault(Vector.GP, err);
            ulong high = ReadLinear(la + 8, 8, AccessKind.System);
            if (((high >> 40) & 0x1F) != 0) RaiseFault(Vector.GP, err);
            TransferThroughCallGate(selector, d, (d & 0xFFFF) | ((d >> 32) & 0xFFFF_0000UL) | (high << 32), isCall, gateSize: 8);
            return true;
        }
        switch (type)
        {
            case CallGate16 or CallGate32:
                ulong offset = (d & 0xFFFF) | (type == CallGate32 ? (d >> 32) & 0xFFFF_0000UL : 0);
                TransferThroughCallGate(selector, d, offset, isCall, type == CallGate32 ? 4 : 2);
                return true;
            case GateTask:
                if (dpl < Cpl || dpl < rpl) RaiseFault(Vector.GP, err);
                if (!IsPresent(d)) RaiseFault(Vector.NP, err);
                SwitchTaskByInstruction((ushort)(d >> 16), isCall);
                return true;
            case TssAvailable16 or TssAvailable32 or TssBusy16 or TssBusy32:
                if (dpl < Cpl || dpl < rpl) RaiseFault(Vector.GP, err);
                SwitchTaskByInstruction(selector, isCall);
                return true;
            default:
                RaiseFault(Vector.GP, err);
                return true;
        }
    }

    private void SwitchTaskByInstruction(ushort tssSelector, bool isCall)
    {
        var source = isCall ? TaskSwitchSource.Call : TaskSwitchSource.Jump;
        ulong d = CheckTaskTarget(tssSelector, source, 0, out ulong la);
        SwitchTask(tssSelector, d, la, source, NextRip, GetRflags(), 0);
    }

    // The call-gate checks and the transfer (SDM Vol. 2A CALL "CALL-GATE", JMP "CALL-GATE").
    private void TransferThroughCallGate(ushort gateSelector, ulong gate, ulong offset, bool isCall, int gateSize)
    {
        uint gateErr = (uint)(gateSelector & 0xFFFC);
        if (DplOf(gate) < Cpl || DplOf(gate) < (gateSelector & 3)) RaiseFault(Vector.GP, gateErr);
        if (!IsPresent(gate)) RaiseFault(Vector.NP, gateErr);
        ushort cs = (ushort)(gate >> 16);
        if ((cs & 0xFFFC) == 0) RaiseFault(Vector.GP, 0);
        uint csErr = (uint)(cs & 0xFFFC);
        if (!TryDescriptorAddress(cs, out ulong csLa)) RaiseFault(Vector.GP, csErr);
        ulong csd = ReadLinear(csLa, 8, AccessKind.System);
        int dpl = DplOf(csd);
        if (!IsCode(csd)) RaiseFault(Vector.GP, csErr);
        // JMP: no privilege change (conforming DPL ≤ CPL, else DPL = CPL); CALL: any DPL ≤ CPL.
        if (isCall ? dpl > Cpl : IsConforming(csd) ? dpl > Cpl : dpl != Cpl) RaiseFault(Vector.GP, csErr);
        if (gateSize == 8 && (!IsLongCode(csd) || IsBigCode(csd))) RaiseFault(Vector.GP, csErr);
        if (!IsPresent(csd)) RaiseFault(Vector.NP, csErr);
        if (gateSize != 8) offset &= gateSize == 4 ? 0xFFFF_FFFFUL : 0xFFFFUL;
        CheckCodeOffset(csd, offset);

        if (!isCall)
        {
            CommitFarCode(cs, csd, csLa, Cpl);
            NextRip = offset;
            return;
        }
        if (IsConforming(csd) || dpl == Cpl) CallGateSamePrivilege(cs, csd, csLa, offset, gateSize);
        else if (gateSize == 8) CallGate64MorePrivilege(cs, csd, csLa, offset, dpl);
        else CallGateMorePrivilege(cs, csd, csLa, offset, dpl, gateSize, (int)((gate >> 32) & 0x1F));
    }

    private void CallGateSamePrivilege(ushort cs, ulong csd, ulong csLa, ulong offset, int size)
    {
        ulong rsp = R[Reg.RSP];
        PushAt(ref rsp, size, Segs[Seg.CS].Selector);
        PushAt(ref rsp, size, NextRip);
        CommitFarCode(cs, csd, csLa, Cpl);
        CommitStackPointer(rsp);
        NextRip = offset;
    }

    // Legacy CALL to a more privileged level: SS:ESP for the new CPL from the TSS, then the old SS:ESP, the gate's
    // parameter count of words or dwords copied from the old stack, and the return CS:EIP (SDM Vol. 3A §5.8.5).
    private void CallGateMorePrivilege(ushort cs, ulong csd, ulong csLa, ulong offset, int newCpl, int size, int parameters)
    {
        bool tss32 = (Tr.Attributes & 0x8) != 0;
        uint trErr = (uint)(Tr.Selector & 0xFFFC);
        ulong spOffset = tss32 ? (ulong)(4 + 8 * newCpl) : (ulong)(2 + 4 * newCpl);
        ulong ssOffset = tss32 ? spOffset + 4 : spOffset + 2;
        if (ssOffset + 1 > Tr.Limit) RaiseFault(Vector.TS, trErr);
        ulong newSp = ReadLinear(Tr.Base + spOffset, tss32 ? 4 : 2, AccessKind.System);
        ushort ssSel = (ushort)ReadLinear(Tr.Base + ssOffset, 2, AccessKind.System);
        if ((ssSel & 0xFFFC) == 0) RaiseFault(Vector.TS, 0);
        uint ssErr = (uint)(ssSel & 0xFFFC);
        ulong ssd = FetchDescriptor(ssSel, Vector.TS, 0, out ulong ssLa);
        if ((ssSel & 3) != newCpl || DplOf(ssd) != newCpl || !IsWritableData(ssd)) RaiseFault(Vector.TS, ssErr);
        if (!IsPresent(ssd)) RaiseFault(Vector.SS, ssErr);
        var newSs = DescriptorCache(ssSel, ssd | DescAccessed);
        ulong newMask = newSs.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
        ulong oldMask = StackPointerMask, oldSp = R[Reg.RSP];

        Span<ulong> frame = stackalloc ulong[4 + 31];
        int n = 0;
        frame[n++] = Segs[Seg.SS].Selector;
        frame[n++] = oldSp & (size == 4 ? 0xFFFF_FFFFUL : 0xFFFFUL);
        // Parameters keep their order: the one nearest the old top of stack is pushed last.
        for (int i = parameters - 1; i >= 0; i--)
            frame[n++] = ReadSized(LinearAddress(Seg.SS, (oldSp + (ulong)(i * size)) & oldMask, size, false), size);
        frame[n++] = Segs[Seg.CS].Selector;
        frame[n++] = NextRip;
        ulong sp = PushLegacyFrame(in newSs, newSp, newMask, size, frame[..n], ssErr, newCpl == 3 ? AccessKind.Write : AccessKind.System);
        MarkAccessed(ssLa, ssd);
        Segs[Seg.SS] = newSs;
        _effectiveBase[Seg.SS] = newSs.Base;
        CommitFarCode(cs, csd, csLa, newCpl);
        SetStackPointer(sp, newMask);
        NextRip = offset;
    }

    // IA-32e CALL to a more privileged level through a 64-bit gate: RSP from TSS.RSPn, SS a null selector with
    // RPL = new CPL, then SS, RSP, CS, RIP pushed as quadwords; no parameters are copied (SDM Vol. 3A §5.8.6).
    private void CallGate64MorePrivilege(ushort cs, ulong csd, ulong csLa, ulong offset, int newCpl)
    {
        ulong off = Tss64.RspOffset(newCpl);
        uint trErr = (uint)(Tr.Selector & 0xFFFC);
        if (off + 7 > Tr.Limit) RaiseFault(Vector.TS, trErr);
        ulong newSp = ReadLinear(Tr.Base + off, 8, AccessKind.System);
        if (!IsCanonical(newSp) || !IsCanonical(newSp - 32)) RaiseFault(Vector.SS, 0);
        Span<ulong> frame = [Segs[Seg.SS].Selector, R[Reg.RSP], Segs[Seg.CS].Selector, NextRip];
        var kind = newCpl == 3 ? AccessKind.Write : AccessKind.System;
        for (int i = 0; i < frame.Length; i++) WriteLinear(newSp - (ulong)((i + 1) * 8), 8, frame[i], kind);
        Segs[Seg.SS] = new SegmentRegister { Selector = (ushort)newCpl, Attributes = (ushort)((newCpl << 5) | 0x13) };
        _effectiveBase[Seg.SS] = 0;
        CommitFarCode(cs, csd, csLa, newCpl);
        R[Reg.RSP] = newSp - 32;
        NextRip = offset;
    }
}
