namespace Smp.Devices.Cpu;

// Event delivery, one checklist per mode (real: SDM Vol. 3A §20.1.4; protected: §6.12; IA-32e:
// §6.14), plus the double-fault decision taken when a delivery itself faults (§6.15, Table 6-5).
public sealed partial class CpuCore
{
    private enum FaultClass : byte { Benign, Contributory, PageFault }

    // SDM Vol. 3A Table 6-4: contributory = #DE, #TS, #NP, #SS, #GP; page faults = #PF. Software
    // interrupts (INT n even with n = 13), external interrupts and NMI are benign.
    private static FaultClass ClassOf(int vector, EventKind kind)
    {
        if (kind is EventKind.SoftwareInterrupt or EventKind.ExternalInterrupt or EventKind.Nmi) return FaultClass.Benign;
        return vector switch
        {
            Vector.DE or Vector.TS or Vector.NP or Vector.SS or Vector.GP => FaultClass.Contributory,
            Vector.PF => FaultClass.PageFault,
            _ => FaultClass.Benign,
        };
    }

    /// <summary>
    /// Delivers one event through the IVT/IDT. A fault raised by the delivery itself is handled
    /// here: serially for a benign first event, as #DF for contributory-after-contributory and
    /// anything-but-benign after #PF, and as shutdown when delivering #DF faults.
    /// </summary>
    /// <param name="vector">The vector.</param>
    /// <param name="kind">How the event arose (decides the DPL check, EXT bit, #DF class and pushed RF).</param>
    /// <param name="errorCode">The error code to push when <paramref name="hasErrorCode"/>.</param>
    /// <param name="hasErrorCode">Whether an error code is pushed.</param>
    /// <param name="returnRip">The RIP saved in the frame.</param>
    /// <param name="instructionBreakpoint">True for a #DB fault from an instruction breakpoint (RF pushed as is).</param>
    internal void DeliverEvent(int vector, EventKind kind, uint errorCode, bool hasErrorCode, ulong returnRip, bool instructionBreakpoint = false)
    {
        Span<int> chain = stackalloc int[8];
        int links = 0;
        while (true)
        {
            try
            {
                DeliverOnce(vector, kind, errorCode, hasErrorCode, returnRip, instructionBreakpoint);
                _lastTransfer = Decoding.Transfer.Event;
                return;
            }
            catch (CpuFault f) when (ReferenceEquals(f, _fault))
            {
                int second = _fault.Vector;
                if (links < chain.Length) chain[links++] = vector;
                bool deliveringDf = vector == Vector.DF && kind == EventKind.Fault;
                if (deliveringDf || links >= chain.Length)
                {
                    // SDM Vol. 3A §6.15 (interrupt 8): a fault while invoking the #DF handler → shutdown.
                    EnterShutdown(ChainText(chain[..links], second) + " while delivering #DF: triple fault");
                    return;
                }
                var first = ClassOf(vector, kind);
                var next = ClassOf(second, EventKind.Fault);
                bool doubleFault = (first == FaultClass.Contributory && next == FaultClass.Contributory)
                    || (first == FaultClass.PageFault && next != FaultClass.Benign);
                if (doubleFault) { vector = Vector.DF; errorCode = 0; hasErrorCode = true; }
                else { vector = second; errorCode = _fault.ErrorCode; hasErrorCode = _fault.HasErrorCode; }
                kind = EventKind.Fault;
                returnRip = Rip;
                instructionBreakpoint = false;
            }
        }
    }

    private static string ChainText(ReadOnlySpan<int> chain, int last)
    {
        var sb = new System.Text.StringBuilder();
        foreach (int v in chain) sb.Append(Vector.Name(v)).Append(" -> ");
        return sb.Append(Vector.Name(last)).ToString();
    }

    private void DeliverOnce(int vector, EventKind kind, uint errorCode, bool hasErrorCode, ulong returnRip, bool instructionBreakpoint)
    {
        ulong rspBefore = R[Reg.RSP];
        var modeBefore = Mode;
        // NMI blocking starts as the NMI handler is invoked (SDM Vol. 3A §6.7.1).
        if (kind == EventKind.Nmi) _nmiBlocked = true;
        // Only exceptions push error codes (INT 13 does not; SDM Vol. 3A §6.13).
        if (kind != EventKind.Fault) hasErrorCode = false;
        // RF in the saved image: 1 for every fault-class exception except an instruction-breakpoint
        // #DB; otherwise the current RF (0 for INT n, which cleared it at its start)
        // (SDM Vol. 3B §17.3.1.1; fact sheet G.4 — QEMU leaves it 0).
        ulong image = GetRflags();
        if (kind == EventKind.Fault && !instructionBreakpoint) image |= Rflags.RF;
        int ist = 0;
        if (!ProtectedMode) DeliverReal(vector, image, returnRip);
        else if (LongModeActive) ist = DeliverLong(vector, kind, errorCode, hasErrorCode, image, returnRip);
        else DeliverProtected(vector, kind, errorCode, hasErrorCode, image, returnRip);

        _shadow = InterruptShadow.None;
        _deliveries++;
        NoteEventDelivered();
        _eventDepth++;
        RecomputeStepMode();
        RequestExit();
        if (Observer is { } o)
        {
            if (Mode != modeBefore) o.ModeChanged(this, modeBefore, Mode);
            o.EventDelivered(this, new EventDelivery(vector, kind, hasErrorCode ? errorCode : null, ist, returnRip, Rip, rspBefore, R[Reg.RSP], _eventDepth));
        }
    }

    // EXT (bit 0 of a delivery error code): the fault arose while delivering an event external to
    // the program — anything but INT n, INT3, INTO (SDM Vol. 3A §6.13).
    private static uint ExtBit(EventKind kind) => kind is EventKind.SoftwareInterrupt or EventKind.SoftwareException ? 0u : 1u;

    private static bool IsSoftware(EventKind kind) => kind is EventKind.SoftwareInterrupt or EventKind.SoftwareException;

    // ---- real-address mode (SDM Vol. 3A §20.1.4) ----------------------------------------------

    private void DeliverReal(int vector, ulong image, ulong returnRip)
    {
        ulong entry = (ulong)vector * 4;
        if (entry + 3 > Idtr.Limit) RaiseFault(Vector.GP, 0);
        uint ivt = (uint)ReadLinear(Idtr.Base + entry, 4, AccessKind.System);
        ref var ss = ref Segs[Seg.SS];
        ulong mask = ss.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
        ulong sp = R[Reg.RSP];
        Span<ulong> frame = [image & 0xFFFF, Segs[Seg.CS].Selector, returnRip & 0xFFFF];
        ulong newSp = PushLegacyFrame(in ss, sp, mask, 2, frame, 0, AccessKind.System);
        SetStackPointer(newSp, mask);
        SetRflags(image & ~(Rflags.IF | Rflags.TF | Rflags.AC | Rflags.RF));
        ushort cs = (ushort)(ivt >> 16);
        Segs[Seg.CS].Selector = cs;
        Segs[Seg.CS].Base = (ulong)cs << 4;
        Rip = ivt & 0xFFFF;
        UpdateMode();
    }

    // ---- frame helpers (implicit writes, checked before anything is committed) ----------------

    /// <summary>
    /// Pushes <paramref name="items"/> (first item highest) on a legacy stack described by
    /// <paramref name="ss"/>; limit violations raise #SS(<paramref name="ssError"/>). Returns the new stack pointer.
    /// </summary>
    private ulong PushLegacyFrame(in SegmentRegister ss, ulong sp, ulong mask, int size, ReadOnlySpan<ulong> items, uint ssError, AccessKind kind)
    {
        int n = items.Length;   // up to 35: a call gate's 31 parameters with SS, ESP, CS, EIP
        Span<ulong> addr = stackalloc ulong[n];
        for (int i = 0; i < n; i++)
        {
            ulong off = (sp - (ulong)((i + 1) * size)) & mask;
            if (!WithinLimit(in ss, off, size)) RaiseFault(Vector.SS, ssError);
            addr[i] = (ss.Base + off) & 0xFFFF_FFFFUL;
        }
        for (int i = 0; i < n; i++) WriteLinear(addr[i], size, items[i], kind);
        return (sp - (ulong)(n * size)) & mask;
    }

    private static bool WithinLimit(in SegmentRegister s, ulong offset, int size)
    {
        ulong last = offset + (ulong)size - 1;
        if (s.ExpandDown)
        {
            ulong upper = s.DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
            return offset > s.Limit && last <= upper;
        }
        return last <= s.Limit;
    }

    private void SetCodeSegment(ushort selector, ulong descriptor, int cpl)
    {
        var cache = DescriptorCache((ushort)((selector & 0xFFFC) | cpl), descriptor);
        Segs[Seg.CS] = cache;
        Cpl = cpl;
    }

    /// <summary>
    /// INT n / INT3 / INTO / INT1 from the current instruction: delivers with the next instruction's
    /// address saved, then continues at the handler (a fault during delivery is delivered with
    /// the software interrupt's own address saved).
    /// </summary>
    internal void SoftwareInterrupt(int vector, EventKind kind)
    {
        DeliverEvent(vector, kind, 0, false, NextRip);
        NextRip = Rip;
    }
}
