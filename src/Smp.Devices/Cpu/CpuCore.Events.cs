using System.Diagnostics.CodeAnalysis;

namespace Smp.Devices.Cpu;

// Raising, recording and delivering events: exceptions raised by instructions, NMIs and external
// interrupts accepted between instructions, and the debug machinery that needs per-instruction checks.
public sealed partial class CpuCore
{
    private bool _stepMode;
    private bool _dataBreakpointsArmed;

    /// <summary>Receives architectural facts (telemetry, stress monitors); null when nobody listens.</summary>
    public CpuObserver? Observer;

    /// <summary>The interrupt controller feeding maskable interrupts, if any.</summary>
    public IInterruptSource? InterruptSource;

    /// <summary>Why the CPU entered <see cref="RunState.Shutdown"/>, for reports.</summary>
    public string? ShutdownReason { get; private set; }

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
        _attention = true;
    }

    private void OnControlFlagsChanged() => RequestExit();

    private bool TryWake() => false;

    private bool ServiceEvents() => false;

    private void BeforeInstruction() { }

    private void AfterInstruction() { }

    /// <summary>Re-reads DR7 and DR0–DR3 after MOV to a debug register, arming or disarming breakpoint checks.</summary>
    internal void OnDebugRegistersChanged() => RequestExit();

    private void CheckDataBreakpoint(ulong la, int size, bool write, AccessKind kind) { }

    private void DeliverFault()
    {
        int vector = _fault.Vector;
        if (Mode != CpuMode.Real)
        {
            EnterShutdown($"{Vector.Name(vector)} in {Mode}: protected-mode delivery is not built yet");
            return;
        }
        // Real-address mode (SDM Vol. 3A §20.1.4): push FLAGS, CS, IP; clear IF, TF, AC; CS:IP from the IVT.
        ulong flags = GetRflags();
        ushort sp = (ushort)R[Reg.RSP];
        ulong ss = Segs[Seg.SS].Base;
        Write16((ss + (ushort)(sp - 2)) & 0xFFFFF, (ushort)flags);
        Write16((ss + (ushort)(sp - 4)) & 0xFFFFF, Segs[Seg.CS].Selector);
        Write16((ss + (ushort)(sp - 6)) & 0xFFFFF, (ushort)Rip);
        Set16(Reg.RSP, (ushort)(sp - 6));
        ushort ip = Read16(Idtr.Base + (ulong)vector * 4);
        ushort cs = Read16(Idtr.Base + (ulong)vector * 4 + 2);
        SetRflags(flags & ~(Rflags.IF | Rflags.TF | Rflags.AC));
        Segs[Seg.CS] = SegmentRegister.RealMode(cs, 0x9B);
        Rip = ip;
        UpdateMode();
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
