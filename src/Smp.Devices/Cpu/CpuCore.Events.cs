using System.Diagnostics.CodeAnalysis;

namespace Smp.Devices.Cpu;

// Raising, recording and delivering events (QEMU's split): an instruction raises a fault by
// throwing the per-CPU CpuFault; the loop catches it and DeliverFault hands it to DeliverEvent,
// which decides #DF / shutdown by exception class when the delivery itself faults
// (SDM Vol. 3A §6.15, Tables 6-4 and 6-5). Between instructions ServiceEvents accepts pending
// debug traps, NMI and maskable interrupts in the priority order of SDM Vol. 3A §6.9 (Table 6-2).
public sealed partial class CpuCore
{
    private bool _stepMode;
    private bool _dataBreakpointsArmed;

    // NMI state (SDM Vol. 3A §6.7.1): blocked from NMI delivery until the next IRET; one NMI latches.
    private bool _nmiBlocked;
    private bool _nmiPending;

    // Interrupt shadow on the current instruction boundary (STI, MOV SS / POP SS).
    private InterruptShadow _shadow;

    // Deliveries not yet returned from by IRET (observer nesting depth, floor 0), and total deliveries
    // (lets the step path see whether an instruction delivered an event, e.g. INT n).
    private int _eventDepth;
    private long _deliveries;

    private enum InterruptShadow : byte { None, Sti, MovSs }

    /// <summary>Receives architectural facts (telemetry, stress monitors); null when nobody listens.</summary>
    public CpuObserver? Observer;

    /// <summary>The interrupt controller feeding maskable interrupts, if any.</summary>
    public IInterruptSource? InterruptSource;

    /// <summary>Why the CPU entered <see cref="RunState.Shutdown"/>, for reports.</summary>
    public string? ShutdownReason { get; private set; }

    /// <summary>True while NMIs are blocked: from the delivery of an NMI until the next IRET (SDM Vol. 3A §6.7.1).</summary>
    public bool NmiBlocked => _nmiBlocked;

    /// <summary>True when an NMI has been latched and waits for delivery.</summary>
    public bool NmiPending => _nmiPending;

    /// <summary>Events delivered and not yet returned from by IRET on this CPU (never below 0).</summary>
    public int EventDepth => _eventDepth;

    /// <summary>
    /// Raises exception <paramref name="vector"/> from the current instruction: the instruction does
    /// not complete and the exception is delivered with RIP pointing at it (a fault). Vectors that
    /// carry an error code (<see cref="Vector.HasErrorCode"/>) push <paramref name="errorCode"/>.
    /// </summary>
    [DoesNotReturn]
    public void RaiseFault(int vector, uint errorCode = 0)
    {
        LastFault = (vector, errorCode);
        FirstFault ??= (vector, errorCode);
        _fault.Vector = vector;
        _fault.ErrorCode = errorCode;
        _fault.HasErrorCode = Vector.HasErrorCode(vector);
        throw _fault;
    }

    /// <summary>Test hook: the vector and error code of the most recent <see cref="RaiseFault"/>.</summary>
    internal (int Vector, uint ErrorCode)? LastFault;

    /// <summary>Test hook: the first <see cref="RaiseFault"/> since this was last set to null (later nested faults do not replace it).</summary>
    internal (int Vector, uint ErrorCode)? FirstFault;

    private void ResetSystemState()
    {
        ShutdownReason = null;
        _stepMode = false;
        _dataBreakpointsArmed = false;
        _instructionBreakpointsArmed = false;
        _nmiBlocked = false;
        _nmiPending = false;
        _shadow = InterruptShadow.None;
        _pendingDr6 = 0;
        _eventDepth = 0;
        _instructionBreakpointFault = false;
        // SDM Vol. 3A Table 9-1: DR0–DR3 = 0, DR6 = FFFF0FF0H, DR7 = 00000400H after RESET and INIT.
        Array.Clear(Dr);
        Dr6 = 0xFFFF_0FF0;
        Dr7 = 0x400;
        // After RESET or INIT only the bootstrap processor runs; application processors wait for a
        // start-up IPI, accepting one (SDM Vol. 3A §8.4.1–8.4.3; fact sheet D5).
        _sipiAccepted = false;
        if (!IsBsp) State = RunState.WaitForSipi;
        _attention = true;
    }

    private void OnControlFlagsChanged()
    {
        RecomputeStepMode();
        RequestExit();
    }

    // The slow path (StepOne) is needed while TF or RF is set, an instruction breakpoint is enabled
    // or an interrupt shadow covers the next instruction; otherwise the fast path pays nothing.
    private void RecomputeStepMode() =>
        _stepMode = (RflagsBits & (Rflags.TF | Rflags.RF)) != 0 || _instructionBreakpointsArmed || _shadow != InterruptShadow.None;

    /// <summary>
    /// Puts an interrupt shadow on the boundary after the current instruction: STI (when IF was 0)
    /// inhibits maskable interrupts; MOV SS / POP SS inhibit maskable interrupts, NMI and debug traps
    /// until the next instruction completes (SDM Vol. 2B STI; Vol. 2A MOV; Vol. 3A §6.8.3).
    /// </summary>
    internal void SetInterruptShadow(bool movSs)
    {
        _shadow = movSs ? InterruptShadow.MovSs : InterruptShadow.Sti;
        _stepMode = true;
        RequestExit();
    }

    // A halted CPU wakes on an unmasked interrupt or NMI (SDM Vol. 2A HLT); shutdown is left by NMI
    // unless NMIs are blocked, i.e. shutdown happened inside the NMI handler (SDM Vol. 3A §6.15,
    // interrupt 8). Wait-for-SIPI is left only through StartupIpi (or Init/Reset).
    private bool TryWake()
    {
        switch (State)
        {
            case RunState.Running:
                return true;
            case RunState.Halted:
                bool nmi = _nmiPending && !_nmiBlocked;
                bool intr = (RflagsBits & Rflags.IF) != 0 && InterruptSource is { HasPendingInterrupt: true };
                if (!nmi && !intr && _pendingDr6 == 0) return false;
                break;
            case RunState.Shutdown:
                if (!_nmiPending || _nmiBlocked) return false;
                ShutdownReason = null;
                break;
            default:
                return false;
        }
        State = RunState.Running;
        _attention = true;
        return true;
    }

    // Between-instruction events in SDM Vol. 3A Table 6-2 order: traps on the previous instruction
    // (single-step, data breakpoints), NMI, maskable interrupts. Returns true when an event was delivered.
    private bool ServiceEvents()
    {
        RecomputeStepMode();
        var shadow = _shadow;
        // MOV SS / POP SS: debug traps of the boundary are held until after the next instruction
        // (SDM Vol. 3A §6.8.3, Vol. 2A MOV "inhibits ... debug exceptions"); they are not lost.
        if (_pendingDr6 != 0 && shadow != InterruptShadow.MovSs)
        {
            ReportDebugConditions(_pendingDr6);
            _pendingDr6 = 0;
            DeliverEvent(Vector.DB, EventKind.Trap, 0, false, Rip);
            return true;
        }
        if (_nmiPending && !_nmiBlocked && shadow != InterruptShadow.MovSs)
        {
            _nmiPending = false;
            DeliverEvent(Vector.NMI, EventKind.Nmi, 0, false, Rip);
            return true;
        }
        if (shadow == InterruptShadow.None && (RflagsBits & Rflags.IF) != 0 && InterruptSource is { HasPendingInterrupt: true } source)
        {
            int vector = source.AcknowledgeInterrupt();
            DeliverEvent(vector & 0xFF, EventKind.ExternalInterrupt, 0, false, Rip);
            return true;
        }
        return false;
    }

    // Per-instruction checks on the slow path.
    private bool _tfAtStart;
    private long _deliveriesAtStart;
    private ulong _ripAtStart, _sequentialRip; // the instruction's address and its fall-through (set by StepOne)

    private void BeforeInstruction()
    {
        // The shadow covered exactly this boundary; it ends with this instruction (or its exception).
        bool movSsBlocking = _shadow == InterruptShadow.MovSs;
        _shadow = InterruptShadow.None;
        _tfAtStart = (RflagsBits & Rflags.TF) != 0;
        _ripAtStart = Rip;
        _deliveriesAtStart = _deliveries;
        if ((RflagsBits & Rflags.RF) != 0)
        {
            // RF suppresses instruction breakpoints for this instruction and is cleared at its start,
            // after the code-breakpoint check; IRETD/IRETQ may load it again (SDM Vol. 3B §17.3.1.1).
            RflagsBits &= ~Rflags.RF;
        }
        // An instruction breakpoint on the instruction after MOV SS / POP SS is not reported at all on Intel
        // processors: MOV-SS blocking inhibits the code breakpoint and the instruction runs (SDM Vol. 3A §6.8.3).
        else if (_instructionBreakpointsArmed && !movSsBlocking) CheckInstructionBreakpoints();
    }

    private void AfterInstruction()
    {
        // Single-step: a trap after an instruction that began with TF = 1 (SDM Vol. 3B §17.3.1.4),
        // so the instruction that sets TF (POPF, IRET) does not trap on itself. An instruction that
        // delivered an event (INT n, INT3, INTO, INT1) entered its handler with TF cleared instead.
        // The single-step trap that would follow MOV SS / POP SS is suppressed, not held (SDM Vol. 3A
        // §6.8.3): the next instruction's own single-step trap is the first one. With IA32_DEBUGCTL.BTF the
        // trap follows only a taken branch (§17.4.3): RIP is neither the fall-through nor the instruction
        // itself (a REP iteration).
        bool branched = Rip != _sequentialRip && Rip != _ripAtStart;
        if (_tfAtStart && _deliveries == _deliveriesAtStart && _shadow != InterruptShadow.MovSs && ((DebugCtl & DebugCtlBtf) == 0 || branched))
            _pendingDr6 |= Dr6Bs;
        RecomputeStepMode();
        // Re-examine events at the next boundary: a shadow just ended, a trap may be pending.
        _attention = true;
    }

    // Called by the loop for a fault raised by an instruction (or by fetch/decode).
    private void DeliverFault()
    {
        int vector = _fault.Vector;
        uint error = _fault.ErrorCode;
        bool hasError = _fault.HasErrorCode;
        bool instructionBreakpoint = _instructionBreakpointFault;
        _instructionBreakpointFault = false;
        // Traps recorded by the faulting instruction (data breakpoint hits) are discarded: it did not complete.
        _pendingDr6 = 0;
        DeliverEvent(vector, EventKind.Fault, error, hasError, Rip, instructionBreakpoint);
    }

    /// <summary>Enters the shutdown state (triple fault), recording why.</summary>
    public void EnterShutdown(string reason)
    {
        ShutdownReason = reason;
        State = RunState.Shutdown;
        Observer?.Shutdown(this, reason);
        RequestExit();
    }
}
