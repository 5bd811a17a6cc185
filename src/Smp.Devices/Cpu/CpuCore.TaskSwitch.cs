namespace Smp.Devices.Cpu;

/// <summary>What started a task switch (SDM Vol. 3A §7.3): it decides the busy flags, NT and the back link.</summary>
internal enum TaskSwitchSource : byte
{
    /// <summary>JMP to a TSS or task gate: the old task becomes available; no link.</summary>
    Jump,

    /// <summary>CALL to a TSS or task gate: the new task is nested (NT = 1, back link = old TR).</summary>
    Call,

    /// <summary>IRET with NT = 1: return to the task in the back link; the old task becomes available.</summary>
    Iret,

    /// <summary>An exception or interrupt through a task gate: nested, as CALL.</summary>
    Event,
}

// Hardware task switching (SDM Vol. 3A §7.3, the SWITCH-TASKS steps of JMP, CALL, INT n and IRET in Vol. 2A):
// 16- and 32-bit TSSs, busy flags, the back link and NT, CR3 and LDTR of the new task, CR0.TS, DR7's local
// enables, and the T (debug trap) flag. Everything that can fault in the old task's context (descriptor checks,
// the TSS limits, page faults on either TSS) happens before the first change; faults loading the new task's
// segments are raised afterwards, in the new task (Table 7-1). IA-32e mode has no task switching: the callers
// raise #GP there. A 32-bit TSS image with EFLAGS.VM = 1 resumes a virtual-8086 task.
public sealed partial class CpuCore
{
    private const int TssAvailable16 = 1, TssBusy16 = 3, TssAvailable32 = 9, TssBusy32 = 0xB;

    /// <summary>The selector's TSS descriptor for a task switch: GDT only, a TSS type, present; returns its address and descriptor.</summary>
    /// <param name="selector">The TSS selector.</param>
    /// <param name="source">Who switches: IRET wants a busy TSS and reports #TS; the others want an available one and report #GP.</param>
    /// <param name="ext">EXT for the error code (1 when an external event switches).</param>
    /// <param name="la">The descriptor's linear address.</param>
    internal ulong CheckTaskTarget(ushort selector, TaskSwitchSource source, uint ext, out ulong la)
    {
        int badVector = source == TaskSwitchSource.Iret ? Vector.TS : Vector.GP;
        uint err = (uint)(selector & 0xFFFC) | ext;
        if ((selector & 4) != 0) RaiseFault(badVector, err);
        if (!TryDescriptorAddress(selector, out la)) RaiseFault(badVector, err);
        ulong d = ReadLinear(la, 8, AccessKind.System);
        int type = (int)((d >> 40) & 0x1F);
        bool busy = type is TssBusy16 or TssBusy32;
        bool isTss = type is TssAvailable16 or TssBusy16 or TssAvailable32 or TssBusy32;
        if (!isTss || busy != (source == TaskSwitchSource.Iret)) RaiseFault(badVector, err);
        if (!IsPresent(d)) RaiseFault(Vector.NP, err);
        return d;
    }

    /// <summary>
    /// Switches to the task whose checked TSS descriptor is <paramref name="newDesc"/> (at <paramref name="newLa"/>).
    /// The old task's state is saved with <paramref name="oldEip"/> and <paramref name="oldFlags"/>. On return RIP
    /// and every register hold the new task's state; <see cref="NextRip"/> is set to the new EIP.
    /// </summary>
    internal void SwitchTask(ushort newSelector, ulong newDesc, ulong newLa, TaskSwitchSource source, ulong oldEip, ulong oldFlags, uint ext)
    {
        uint newErr = (uint)(newSelector & 0xFFFC) | ext;
        var newTss = DescriptorCache(newSelector, newDesc);
        bool new32 = ((newDesc >> 40) & 0x8) != 0;
        if (newTss.Limit < (new32 ? 0x67u : 0x2Bu)) RaiseFault(Vector.TS, newErr);
        bool old32 = (Tr.Attributes & 0x8) != 0;
        if ((Tr.Selector & 0xFFFC) == 0 || Tr.Limit < (old32 ? 0x5Fu : 0x29u)) RaiseFault(Vector.TS, (uint)(Tr.Selector & 0xFFFC) | ext);

        // Read the whole new state first (a #PF here is taken in the old task).
        Span<ulong> gpr = stackalloc ulong[8];
        Span<ushort> sel = stackalloc ushort[6];
        ulong b = newTss.Base, newEip, newFlags, newCr3 = Cr3;
        ushort newLdt;
        bool debugTrap = false;
        if (new32)
        {
            newCr3 = ReadLinear(b + 0x1C, 4, AccessKind.System);
            newEip = ReadLinear(b + 0x20, 4, AccessKind.System);
            newFlags = ReadLinear(b + 0x24, 4, AccessKind.System);
            for (int i = 0; i < 8; i++) gpr[i] = ReadLinear(b + 0x28 + (ulong)(4 * i), 4, AccessKind.System);
            for (int i = 0; i < 6; i++) sel[i] = (ushort)ReadLinear(b + 0x48 + (ulong)(4 * i), 2, AccessKind.System);
            newLdt = (ushort)ReadLinear(b + 0x60, 2, AccessKind.System);
            debugTrap = (ReadLinear(b + 0x64, 2, AccessKind.System) & 1) != 0;
        }
        else
        {
            newEip = ReadLinear(b + 0x0E, 2, AccessKind.System);
            newFlags = ReadLinear(b + 0x10, 2, AccessKind.System) | (GetRflags() & 0xFFFF_0000UL & ~Rflags.VM);
            for (int i = 0; i < 8; i++) gpr[i] = ReadLinear(b + 0x12 + (ulong)(2 * i), 2, AccessKind.System);
            for (int i = 0; i < 4; i++) sel[i] = (ushort)ReadLinear(b + 0x22 + (ulong)(2 * i), 2, AccessKind.System);
            sel[4] = sel[5] = 0;                                      // a 16-bit TSS has no FS and GS
            newLdt = (ushort)ReadLinear(b + 0x2A, 2, AccessKind.System);
        }

        // Save the old task's dynamic state (IRET saves its flags with NT cleared).
        if (source == TaskSwitchSource.Iret) oldFlags &= ~Rflags.NT;
        ulong ob = Tr.Base;
        if (old32)
        {
            WriteLinear(ob + 0x20, 4, (uint)oldEip, AccessKind.System);
            WriteLinear(ob + 0x24, 4, (uint)oldFlags, AccessKind.System);
            for (int i = 0; i < 8; i++) WriteLinear(ob + 0x28 + (ulong)(4 * i), 4, (uint)R[i], AccessKind.System);
            for (int i = 0; i < 6; i++) WriteLinear(ob + 0x48 + (ulong)(4 * i), 2, Segs[i].Selector, AccessKind.System);
        }
        else
        {
            WriteLinear(ob + 0x0E, 2, (ushort)oldEip, AccessKind.System);
            WriteLinear(ob + 0x10, 2, (ushort)oldFlags, AccessKind.System);
            for (int i = 0; i < 8; i++) WriteLinear(ob + 0x12 + (ulong)(2 * i), 2, (ushort)R[i], AccessKind.System);
            for (int i = 0; i < 4; i++) WriteLinear(ob + 0x22 + (ulong)(2 * i), 2, Segs[i].Selector, AccessKind.System);
        }

        // Busy flags and the back link: JMP and IRET free the old task; JMP, CALL and events mark the new one busy.
        if (source is TaskSwitchSource.Jump or TaskSwitchSource.Iret && TryDescriptorAddress(Tr.Selector, out ulong oldLa))
        {
            ulong od = ReadLinear(oldLa, 8, AccessKind.System);
            WriteLinear(oldLa + 5, 1, (byte)((od >> 40) & ~2UL), AccessKind.System);
        }
        bool nested = source is TaskSwitchSource.Call or TaskSwitchSource.Event;
        if (nested) WriteLinear(b, 2, Tr.Selector, AccessKind.System);
        if (source != TaskSwitchSource.Iret) WriteLinear(newLa + 5, 1, (byte)((newDesc >> 40) | 2), AccessKind.System);

        // Commit point: from here on faults belong to the new task (SDM Vol. 3A §7.3, step 12).
        Tr = DescriptorCache(newSelector, newDesc | (2UL << 40));
        Cr0 |= Cr0Ts;
        if (new32 && PagingEnabled && newCr3 != Cr3 && !TryWriteCr3(newCr3)) RaiseFault(Vector.TS, newErr);
        // Local breakpoint enables L0–L3 and LE are cleared on every task switch (SDM Vol. 3B §17.2.4).
        if ((Dr7 & 0x155) != 0) { Dr7 &= ~0x155UL; OnDebugRegistersChanged(); }
        for (int i = 0; i < 8; i++)
        {
            if (new32) R[i] = gpr[i];
            else R[i] = (R[i] & ~0xFFFFUL) | gpr[i];
        }
        SetRflags(newFlags | (nested ? Rflags.NT : 0));
        Rip = NextRip = newEip;
        if (new32 && (newFlags & Rflags.VM) != 0)
        {
            // A virtual-8086 task: real-mode segments at CPL 3, no descriptor checks (SDM Vol. 3A §7.3, §20.2.1).
            Ldtr = new SegmentRegister { Selector = newLdt };
            if ((newLdt & 0xFFFC) != 0) LoadTaskSegments(sel, newLdt, ext, ldtOnly: true);
            EnterVirtual8086(GetRflags(), sel, newEip, gpr[Reg.RSP]);
            Observer?.DescriptorTableLoaded(this, DescriptorTable.Tr, Tr.Base, Tr.Limit, newSelector);
            if (debugTrap) { _pendingDr6 |= 1UL << 15; RequestExit(); }
            return;
        }
        // The selectors are in place before any descriptor is checked, so a fault reports the new task's state.
        for (int i = 0; i < 6; i++) Segs[i] = new SegmentRegister { Selector = sel[i] };
        Ldtr = new SegmentRegister { Selector = newLdt };
        Cpl = sel[Seg.CS] & 3;
        UpdateMode();
        LoadTaskSegments(sel, newLdt, ext);
        Observer?.DescriptorTableLoaded(this, DescriptorTable.Tr, Tr.Base, Tr.Limit, newSelector);
        // T = 1 in the new TSS: a debug trap before the new task's first instruction, DR6.BT (§17.3.1.5).
        if (debugTrap) { _pendingDr6 |= 1UL << 15; RequestExit(); }
        if (newEip > Segs[Seg.CS].Limit) RaiseFault(Vector.GP, ext);
    }

    // Table 7-1: the new task's LDTR, CS, SS and data segments, checked in the new task's context.
    private void LoadTaskSegments(ReadOnlySpan<ushort> sel, ushort ldt, uint ext, bool ldtOnly = false)
    {
        if ((ldt & 0xFFFC) != 0)
        {
            uint err = (uint)(ldt & 0xFFFC) | ext;
            if ((ldt & 4) != 0) RaiseFault(Vector.TS, err);
            if (!TryDescriptorAddress(ldt, out ulong lla)) RaiseFault(Vector.TS, err);
            ulong ld = ReadLinear(lla, 8, AccessKind.System);
            if ((ld & (1UL << 44)) != 0 || ((ld >> 40) & 0xF) != 2) RaiseFault(Vector.TS, err);
            if (!IsPresent(ld)) RaiseFault(Vector.TS, err);
            Ldtr = DescriptorCache(ldt, ld);
        }
        if (ldtOnly) return;
        int cpl = sel[Seg.CS] & 3;

        ushort cs = sel[Seg.CS];
        uint csErr = (uint)(cs & 0xFFFC) | ext;
        if ((cs & 0xFFFC) == 0) RaiseFault(Vector.TS, ext);
        if (!TryDescriptorAddress(cs, out ulong csLa)) RaiseFault(Vector.TS, csErr);
        ulong csd = ReadLinear(csLa, 8, AccessKind.System);
        if (!IsCode(csd) || (IsConforming(csd) ? DplOf(csd) > cpl : DplOf(csd) != cpl)) RaiseFault(Vector.TS, csErr);
        if (!IsPresent(csd)) RaiseFault(Vector.NP, csErr);
        MarkAccessed(csLa, csd);
        SetCodeSegment(cs, csd | DescAccessed, cpl);

        ushort ss = sel[Seg.SS];
        uint ssErr = (uint)(ss & 0xFFFC) | ext;
        if ((ss & 0xFFFC) == 0) RaiseFault(Vector.TS, ssErr);
        if (!TryDescriptorAddress(ss, out ulong ssLa)) RaiseFault(Vector.TS, ssErr);
        ulong ssd = ReadLinear(ssLa, 8, AccessKind.System);
        if ((ss & 3) != cpl || !IsWritableData(ssd) || DplOf(ssd) != cpl) RaiseFault(Vector.TS, ssErr);
        if (!IsPresent(ssd)) RaiseFault(Vector.SS, ssErr);
        MarkAccessed(ssLa, ssd);
        Segs[Seg.SS] = DescriptorCache(ss, ssd | DescAccessed);

        Span<int> data = [Seg.ES, Seg.DS, Seg.FS, Seg.GS];
        foreach (int s in data)
        {
            ushort v = sel[s];
            if ((v & 0xFFFC) == 0) continue;                           // a null data selector is allowed
            uint err = (uint)(v & 0xFFFC) | ext;
            if (!TryDescriptorAddress(v, out ulong dla)) RaiseFault(Vector.TS, err);
            ulong d = ReadLinear(dla, 8, AccessKind.System);
            if (!IsData(d) && !IsReadableCode(d)) RaiseFault(Vector.TS, err);
            if (!IsConforming(d) && ((v & 3) > DplOf(d) || cpl > DplOf(d))) RaiseFault(Vector.TS, err);
            if (!IsPresent(d)) RaiseFault(Vector.NP, err);
            MarkAccessed(dla, d);
            Segs[s] = DescriptorCache(v, d | DescAccessed);
        }
        UpdateModeObserved();
    }
}
