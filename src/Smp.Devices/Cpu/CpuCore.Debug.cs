namespace Smp.Devices.Cpu;

// Debug facilities (SDM Vol. 3B chapter 17): DR0–DR3 instruction breakpoints (faults, checked
// before the instruction, suppressed by RF), data breakpoints (traps after the access's
// instruction), single-step (TF) traps, and the DR6 status bits they set. Nothing here runs on the
// fast path: instruction breakpoints and TF force the step path, and data breakpoints make the TLB
// refuse to cache pages so that every access reaches CheckDataBreakpoint.
public sealed partial class CpuCore
{
    /// <summary>DR6.B0 (B1–B3 are the next bits): breakpoint condition n was met.</summary>
    public const ulong Dr6B0 = 1;

    /// <summary>DR6.BD (bit 13): debug-register access detected.</summary>
    public const ulong Dr6Bd = 1UL << 13;

    /// <summary>DR6.BS (bit 14): single-step trap.</summary>
    public const ulong Dr6Bs = 1UL << 14;

    private bool _instructionBreakpointsArmed;
    private bool _instructionBreakpointFault;

    // DR6 bits of trap-class #DB conditions met by the previous instruction, delivered at the next
    // boundary (0 = nothing pending).
    private ulong _pendingDr6;

    /// <summary>
    /// Re-reads DR7 and DR0–DR3 after MOV to a debug register (or any direct change), arming or
    /// disarming the per-instruction and per-access checks and flushing the TLB so that pages
    /// cached before data breakpoints were armed take the slow path.
    /// </summary>
    internal void OnDebugRegistersChanged()
    {
        bool instr = false, data = false;
        for (int i = 0; i < 4; i++)
        {
            if (!BreakpointEnabled(i)) continue;
            if (BreakpointRw(i) == 0) instr = true;
            else if (BreakpointRw(i) is 1 or 3) data = true;
            // R/W = 10 (I/O breakpoints, CR4.DE) is not implemented.
        }
        _instructionBreakpointsArmed = instr;
        _dataBreakpointsArmed = data;
        FlushTlb();
        RecomputeStepMode();
        RequestExit();
    }

    /// <summary>
    /// General-detect check for MOV to or from a debug register (call before the access): when
    /// DR7.GD (bit 13) is set the access raises a #DB fault with DR6.BD set, and GD is cleared so
    /// the handler can use the debug registers (SDM Vol. 3B §17.2.4, §17.3.1.3).
    /// </summary>
    internal void CheckDebugRegisterAccess()
    {
        if ((Dr7 & (1UL << 13)) == 0) return;
        ReportDebugConditions(Dr6Bd);
        Dr7 &= ~(1UL << 13);
        RaiseFault(Vector.DB);
    }

    /// <summary>
    /// Records in DR6 the conditions a #DB about to be delivered reports: B0–B3 are rewritten to
    /// exactly the breakpoints this #DB found (the processor may clear them, and it does on every #DB),
    /// while BD, BS and BT are only ever set by the processor and keep what software left in them
    /// (SDM Vol. 3B §17.2.3: "the remaining contents of the DR6 register are never cleared").
    /// The processor also clears IA32_DEBUGCTL.BTF whenever it generates a debug exception (§17.4.3).
    /// </summary>
    private void ReportDebugConditions(ulong conditions)
    {
        Dr6 = (Dr6 & ~0xFUL) | conditions;
        DebugCtl &= ~DebugCtlBtf;
    }

    /// <summary>
    /// INT1 (ICEBP) is about to deliver its #DB trap: debug traps still held at this boundary (a data
    /// breakpoint hit by the MOV SS / POP SS just before it) are #DB traps of the same boundary, so the
    /// one #DB reports them instead of a second #DB at the handler's first instruction.
    /// </summary>
    internal void PrepareIcebpDebugException()
    {
        DebugCtl &= ~DebugCtlBtf;
        if (_pendingDr6 == 0) return;
        ReportDebugConditions(_pendingDr6);
        _pendingDr6 = 0;
    }

    // DR7 Ln (bit 2n) or Gn (bit 2n + 1) enables breakpoint n; R/Wn at 16 + 4n, LENn at 18 + 4n (§17.2.4).
    private bool BreakpointEnabled(int i) => ((Dr7 >> (2 * i)) & 3) != 0;

    private int BreakpointRw(int i) => (int)((Dr7 >> (16 + 4 * i)) & 3);

    // LEN encoding 00 = 1, 01 = 2, 11 = 4, 10 = 8 bytes (8 in IA-32e mode) (§17.2.5).
    private int BreakpointLength(int i) => ((Dr7 >> (18 + 4 * i)) & 3) switch { 0 => 1, 1 => 2, 3 => 4, _ => 8 };

    // Instruction breakpoints are faults taken before the instruction at the breakpoint's linear
    // address executes, unless RF = 1 (§17.3.1.1, §17.2.4: R/W = 00 requires LEN = 00).
    private void CheckInstructionBreakpoints()
    {
        ulong ip = CurrentLinearIp;
        ulong hits = 0;
        for (int i = 0; i < 4; i++)
            if (BreakpointEnabled(i) && BreakpointRw(i) == 0 && Dr[i] == ip) hits |= Dr6B0 << i;
        if (hits == 0) return;
        ReportDebugConditions(hits);
        _instructionBreakpointFault = true;
        RaiseFault(Vector.DB);
    }

    // Called by the memory slow path for every access while data breakpoints are armed. A hit
    // records DR6.Bn; the #DB trap is delivered after the instruction completes (§17.3.1.2).
    private void CheckDataBreakpoint(ulong la, int size, bool write, AccessKind kind)
    {
        if (!_dataBreakpointsArmed || (kind & (AccessKind.Execute | AccessKind.System)) != 0) return;
        for (int i = 0; i < 4; i++)
        {
            if (!BreakpointEnabled(i)) continue;
            int rw = BreakpointRw(i);
            if (rw == 1 ? !write : rw != 3) continue;
            // The breakpoint address is aligned down to its length (§17.2.5): an access hits when it
            // overlaps any byte of the [DRn, DRn + len) range.
            ulong len = (ulong)BreakpointLength(i);
            ulong start = Dr[i] & ~(len - 1);
            if (la < start + len && start < la + (ulong)size)
            {
                _pendingDr6 |= Dr6B0 << i;
                RequestExit();
            }
        }
    }
}
