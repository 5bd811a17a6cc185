namespace Smp.Devices.Cpu;

// Protected-mode (SDM Vol. 3A §6.10–6.12) and IA-32e (§6.14) delivery through IDT gates. Each
// check raises one precise fault; nothing architectural is committed until every check and every
// frame write has succeeded.
public sealed partial class CpuCore
{
    private const int GateTask = 0x5, GateInt16 = 0x6, GateTrap16 = 0x7, GateInt32 = 0xE, GateTrap32 = 0xF;

    private void DeliverProtected(int vector, EventKind kind, uint errorCode, bool hasErrorCode, ulong image, ulong returnRip)
    {
        uint ext = ExtBit(kind);
        uint idtError = (uint)vector * 8 + 2 + ext;
        // 1. IDT limit (SDM Vol. 3A §6.10): #GP(vector × 8 + 2 + EXT).
        if ((ulong)vector * 8 + 7 > Idtr.Limit) RaiseFault(Vector.GP, idtError);
        ulong gate = ReadLinear(Idtr.Base + (ulong)vector * 8, 8, AccessKind.System);
        int type = (int)((gate >> 40) & 0x1F);
        // 2. Gate type: interrupt/trap gates, 16- or 32-bit, or a task gate.
        if (type is not (GateTask or GateInt16 or GateTrap16 or GateInt32 or GateTrap32)) RaiseFault(Vector.GP, idtError);
        // 3. Software INT n / INT3 / INTO: gate DPL ≥ CPL, else #GP(vector × 8 + 2) (§6.12.1.1).
        if (IsSoftware(kind) && DplOf(gate) < Cpl) RaiseFault(Vector.GP, (uint)vector * 8 + 2);
        // 4. Present: #NP(vector × 8 + 2 + EXT).
        if (!IsPresent(gate)) RaiseFault(Vector.NP, idtError);
        if (type == GateTask)
        {
            DeliverThroughTaskGate((ushort)(gate >> 16), errorCode, hasErrorCode, image, returnRip, ext);
            return;
        }
        ushort selector = (ushort)(gate >> 16);
        ulong offset = (gate & 0xFFFF) | ((gate >> 32) & 0xFFFF_0000UL);
        bool gate32 = type >= GateInt32;
        if (!gate32) offset &= 0xFFFF;

        // 5. Target code segment (SDM Vol. 2A INT n pseudo-code).
        if ((selector & 0xFFFC) == 0) RaiseFault(Vector.GP, ext);
        ulong cs = FetchDescriptor(selector, Vector.GP, ext, out ulong csLa);
        uint csError = (uint)(selector & 0xFFFC) + ext;
        if (!IsCode(cs) || DplOf(cs) > Cpl) RaiseFault(Vector.GP, csError);
        // From virtual-8086 mode only a non-conforming CPL 0 handler will do (SDM Vol. 2A INT n, VM = 1).
        bool fromV86 = Virtual8086;
        if (fromV86 && (IsConforming(cs) || DplOf(cs) != 0)) RaiseFault(Vector.GP, csError);
        if (!IsPresent(cs)) RaiseFault(Vector.NP, csError);
        int newCpl = IsConforming(cs) ? Cpl : DplOf(cs);
        if (offset > DescriptorCache(0, cs).Limit) RaiseFault(Vector.GP, ext);

        int size = gate32 ? 4 : 2;
        var kindW = newCpl == 3 ? AccessKind.Write : AccessKind.System;
        Span<ulong> frame = stackalloc ulong[10];
        int n = 0;
        ulong sizeMask = gate32 ? 0xFFFF_FFFFUL : 0xFFFFUL;
        if (newCpl < Cpl)
        {
            // 6a. Inter-privilege: SS:ESP for the new CPL from the current TSS (§6.12.1, §7.2.1).
            bool tss32 = (Tr.Attributes & 0x8) != 0;
            uint trError = (uint)(Tr.Selector & 0xFFFC) + ext;
            ulong spOffset = tss32 ? (ulong)(4 + 8 * newCpl) : (ulong)(2 + 4 * newCpl);
            ulong ssOffset = tss32 ? spOffset + 4 : spOffset + 2;
            if (ssOffset + 1 > Tr.Limit) RaiseFault(Vector.TS, trError);
            ulong newSp = ReadLinear(Tr.Base + spOffset, tss32 ? 4 : 2, AccessKind.System);
            ushort newSsSel = (ushort)ReadLinear(Tr.Base + ssOffset, 2, AccessKind.System);
            if ((newSsSel & 0xFFFC) == 0) RaiseFault(Vector.TS, ext);
            uint ssError = (uint)(newSsSel & 0xFFFC) + ext;
            ulong ssd = FetchDescriptor(newSsSel, Vector.TS, ext, out ulong ssLa);
            if ((newSsSel & 3) != newCpl || DplOf(ssd) != newCpl || !IsWritableData(ssd)) RaiseFault(Vector.TS, ssError);
            if (!IsPresent(ssd)) RaiseFault(Vector.SS, ssError);
            var newSs = DescriptorCache(newSsSel, ssd | DescAccessed);
            ulong spMask = newSs.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
            if (fromV86)
            {
                // Virtual-8086 mode also saves GS, FS, DS, ES above the usual frame (SDM Vol. 3B §20.3.1.1).
                frame[n++] = Segs[Seg.GS].Selector;
                frame[n++] = Segs[Seg.FS].Selector;
                frame[n++] = Segs[Seg.DS].Selector;
                frame[n++] = Segs[Seg.ES].Selector;
            }
            frame[n++] = Segs[Seg.SS].Selector;
            frame[n++] = R[Reg.RSP] & sizeMask;
            frame[n++] = image & sizeMask;
            frame[n++] = Segs[Seg.CS].Selector;
            frame[n++] = returnRip & sizeMask;
            if (hasErrorCode) frame[n++] = errorCode;
            ulong sp = PushLegacyFrame(in newSs, newSp, spMask, size, frame[..n], ssError, kindW);
            MarkAccessed(ssLa, ssd);
            MarkAccessed(csLa, cs);
            // Commit: new stack, then CS/CPL.
            Segs[Seg.SS] = newSs;
            _effectiveBase[Seg.SS] = newSs.Base;
            SetStackPointer(sp, spMask);
            if (fromV86) LeaveVirtual8086Segments();
        }
        else
        {
            // 6b. Same privilege (or conforming target): push on the current stack; faults are #SS(0).
            ref var ss = ref Segs[Seg.SS];
            ulong spMask = ss.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
            frame[n++] = image & sizeMask;
            frame[n++] = Segs[Seg.CS].Selector;
            frame[n++] = returnRip & sizeMask;
            if (hasErrorCode) frame[n++] = errorCode;
            ulong sp = PushLegacyFrame(in ss, R[Reg.RSP], spMask, size, frame[..n], ext, kindW);
            MarkAccessed(csLa, cs);
            SetStackPointer(sp, spMask);
        }
        SetCodeSegment(selector, cs | DescAccessed, newCpl);
        // 7. Flags (§6.12.1.2): TF, VM, RF, NT cleared after saving; interrupt gates also clear IF.
        ulong flags = image & ~(Rflags.TF | Rflags.VM | Rflags.RF | Rflags.NT);
        if (type is GateInt16 or GateInt32) flags &= ~Rflags.IF;
        SetRflags(flags);
        Rip = offset;
        UpdateMode();
    }

    // A task gate (SDM Vol. 2A INT n "TASK-GATE", Vol. 3A §6.12.2): a nested task switch that saves the interrupted
    // state in the current TSS; the error code, if any, goes on the new task's stack; EFLAGS come from the new TSS.
    private void DeliverThroughTaskGate(ushort tssSelector, uint errorCode, bool hasErrorCode, ulong image, ulong returnRip, uint ext)
    {
        ulong d = CheckTaskTarget(tssSelector, TaskSwitchSource.Event, ext, out ulong la);
        SwitchTask(tssSelector, d, la, TaskSwitchSource.Event, returnRip, image, ext);
        if (!hasErrorCode) return;
        int size = (Tr.Attributes & 0x8) != 0 ? 4 : 2;
        ref var ss = ref Segs[Seg.SS];
        ulong spMask = ss.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
        ulong sp = PushLegacyFrame(in ss, R[Reg.RSP], spMask, size, [errorCode], ext, Cpl == 3 ? AccessKind.Write : AccessKind.System);
        SetStackPointer(sp, spMask);
    }

    // IA-32e delivery (SDM Vol. 3A §6.14; fact sheet D1/D2). Returns the IST index used.
    private int DeliverLong(int vector, EventKind kind, uint errorCode, bool hasErrorCode, ulong image, ulong returnRip)
    {
        uint ext = ExtBit(kind);
        // The error-code index field is the vector even though gates are 16 bytes: vector × 8 + 2 (+ EXT);
        // fact sheet G.1 (QEMU reports vector × 16 + 2).
        uint idtError = (uint)vector * 8 + 2 + ext;
        ulong entry = (ulong)vector * 16;
        if (entry + 15 > Idtr.Limit) RaiseFault(Vector.GP, idtError);
        ulong lo = ReadLinear(Idtr.Base + entry, 8, AccessKind.System);
        ulong hi = ReadLinear(Idtr.Base + entry + 8, 8, AccessKind.System);
        int type = (int)((lo >> 40) & 0x1F);
        // Only 64-bit interrupt (0xE) and trap (0xF) gates exist in IA-32e mode (§6.14.1).
        if (type is not (GateInt32 or GateTrap32)) RaiseFault(Vector.GP, idtError);
        if (IsSoftware(kind) && DplOf(lo) < Cpl) RaiseFault(Vector.GP, (uint)vector * 8 + 2);
        if (!IsPresent(lo)) RaiseFault(Vector.NP, idtError);
        ushort selector = (ushort)(lo >> 16);
        ulong offset = (lo & 0xFFFF) | ((lo >> 32) & 0xFFFF_0000UL) | (hi << 32);
        int ist = (int)((lo >> 32) & 7);

        if ((selector & 0xFFFC) == 0) RaiseFault(Vector.GP, ext);
        ulong cs = FetchDescriptor(selector, Vector.GP, ext, out ulong csLa);
        uint csError = (uint)(selector & 0xFFFC) + ext;
        // The target must be a 64-bit code segment (L = 1, D = 0) with DPL ≤ CPL (fact sheet D1).
        if (!IsCode(cs) || !IsLongCode(cs) || IsBigCode(cs) || DplOf(cs) > Cpl) RaiseFault(Vector.GP, csError);
        if (!IsPresent(cs)) RaiseFault(Vector.NP, csError);
        if ((ulong)(((long)offset << 16) >> 16) != offset) RaiseFault(Vector.GP, ext);
        int newCpl = IsConforming(cs) ? Cpl : DplOf(cs);

        // Stack choice (§6.14.4, §6.14.5): IST unconditionally, else RSP0–2 on a privilege change, else RSP.
        ulong rsp;
        uint trError = (uint)(Tr.Selector & 0xFFFC) + ext;
        if (ist != 0)
        {
            ulong off = Tss64.IstOffset(ist);
            if (off + 7 > Tr.Limit) RaiseFault(Vector.TS, trError);
            rsp = ReadLinear(Tr.Base + off, 8, AccessKind.System);
        }
        else if (newCpl < Cpl)
        {
            ulong off = Tss64.RspOffset(newCpl);
            if (off + 7 > Tr.Limit) RaiseFault(Vector.TS, trError);
            rsp = ReadLinear(Tr.Base + off, 8, AccessKind.System);
        }
        else rsp = R[Reg.RSP];
        if ((ulong)(((long)rsp << 16) >> 16) != rsp) RaiseFault(Vector.SS, ext);
        // The new RSP is aligned down to 16 bytes before the pushes (§6.14.2).
        rsp &= ~0xFUL;

        // SS:RSP, RFLAGS, CS, RIP [, error code] are always pushed, 8 bytes each (§6.14.2).
        Span<ulong> frame = [Segs[Seg.SS].Selector, R[Reg.RSP], image, Segs[Seg.CS].Selector, returnRip, errorCode];
        int n = hasErrorCode ? 6 : 5;
        var kindW = newCpl == 3 ? AccessKind.Write : AccessKind.System;
        ulong last = rsp - (ulong)(n * 8);
        if ((ulong)(((long)last << 16) >> 16) != last) RaiseFault(Vector.SS, ext);
        for (int i = 0; i < n; i++) WriteLinear(rsp - (ulong)((i + 1) * 8), 8, frame[i], kindW);
        MarkAccessed(csLa, cs);

        // Commit. On a privilege change SS becomes a null selector with RPL = new CPL (§6.14.4).
        if (newCpl != Cpl)
        {
            Segs[Seg.SS] = new SegmentRegister { Selector = (ushort)newCpl, Attributes = (ushort)((newCpl << 5) | 0x13) };
            _effectiveBase[Seg.SS] = 0;
        }
        R[Reg.RSP] = last;
        SetCodeSegment(selector, cs | DescAccessed, newCpl);
        ulong flags = image & ~(Rflags.TF | Rflags.VM | Rflags.RF | Rflags.NT);
        if (type == GateInt32) flags &= ~Rflags.IF;
        SetRflags(flags);
        Rip = offset;
        UpdateMode();
        return ist;
    }
}
