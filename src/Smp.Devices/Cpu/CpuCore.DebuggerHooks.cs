using Smp.Devices.Cpu.Debugger;

namespace Smp.Devices.Cpu;

// Hooks for an external debugger (the gdb stub): breakpoints, watchpoints and single steps that neither write guest
// memory nor use the guest's DR0–DR7, and stops that change nothing the guest can observe. The fast path pays nothing:
// Run checks _debugArmed once per loop iteration (a block chain, an event, a step), never per instruction.
//  - A breakpoint address always starts a decoded block, and the block starting there holds that one instruction and is
//    never cached, so block chaining never runs into it: every arrival at it goes back to Run's loop, where
//    DebugStopHere stops before the instruction executes (before any event is serviced at that boundary).
//  - A single step limits the next block to one instruction (or takes the TF/shadow slow path, one instruction too); the
//    step is complete once an instruction retired or an event was delivered.
//  - A watched page is never entered in the TLB, so accesses to it take the slow path, which calls DebuggerWatchAccess;
//    a hit ends the block after the accessing instruction completes.
// A JIT must keep these: the breakpoint block stays uncompiled and unchained (or checks _debugArmed and the breakpoint set
// before entering a block), block limits passed to RunBlock are honoured, and memory accesses to pages the TLB refuses
// still reach ReadSlow/WriteSlow.
public sealed partial class CpuCore
{
    private DebugPoints? _debugPoints;
    private int _debugBreakpointVersion = -1, _debugWatchVersion = -1;
    private bool _debugArmed;
    private bool _debugWatchArmed;
    private bool _debugStepping;
    private long _debugStepMark;
    private long _debugRunLimit = long.MaxValue;
    private DebugStop _debugStop;

    // The instruction a reported stop left the CPU at: its breakpoint is not hit again before the CPU moves on (the
    // effect of RF for DR breakpoints), so a debugger that resumes without stepping over it does not stop at once again.
    private ulong _debugResumeIp = ulong.MaxValue;
    private long _debugResumeMark = -1;

    /// <summary>
    /// The debugger's breakpoints and watchpoints (shared by a machine's CPUs), or null when no debugger is attached.
    /// Set or change it only between runs, then call <see cref="OnDebugPointsChanged"/>.
    /// </summary>
    public DebugPoints? DebugPoints
    {
        get => _debugPoints;
        set
        {
            _debugPoints = value;
            _debugBreakpointVersion = _debugWatchVersion = -1;
            OnDebugPointsChanged();
        }
    }

    /// <summary>The stop this CPU made for the debugger (<see cref="DebugStopKind.None"/> when it did not stop).</summary>
    public DebugStop DebugStop => _debugStop;

    /// <summary>Instructions retired plus events delivered: what a single step waits to change.</summary>
    private long DebugProgress => InstructionsRetired + _deliveries;

    /// <summary>
    /// Takes a change of <see cref="DebugPoints"/> into account (between runs): blocks are decoded again when the
    /// breakpoints changed, so that each breakpoint starts a block, and the TLB forgets the pages now watched.
    /// </summary>
    public void OnDebugPointsChanged()
    {
        var points = _debugPoints;
        int breakpoints = points?.BreakpointVersion ?? 0, watches = points?.WatchVersion ?? 0;
        if (breakpoints != _debugBreakpointVersion)
        {
            _debugBreakpointVersion = breakpoints;
            FlushDecodeCache();
        }

        if (watches != _debugWatchVersion)
        {
            _debugWatchVersion = watches;
            if (points is not null)
                foreach (ulong page in points.WatchedPages) ForgetLinearPage(page);
        }

        _debugWatchArmed = points is { HasWatchpoints: true };
        RecomputeDebugArmed();
    }

    /// <summary>Makes this CPU stop after its next instruction (or after delivering the next event), wherever it runs next.</summary>
    public void DebugStepOnce()
    {
        _debugStepping = true;
        _debugStepMark = DebugProgress;
        _debugRunLimit = 1;
        RecomputeDebugArmed();
    }

    /// <summary>
    /// True when this CPU has stopped for the debugger; a single step finished by a HLT or the end of the budget is
    /// recognised here. The CPU actor calls it after <see cref="Run"/> returns.
    /// </summary>
    /// <returns>Whether <see cref="DebugStop"/> holds a stop.</returns>
    public bool CheckDebugStop()
    {
        if (_debugStop.Kind == DebugStopKind.None && _debugStepping && DebugProgress != _debugStepMark)
            StopForDebugger(new DebugStop(DebugStopKind.Step, CurrentLinearIp));
        return _debugStop.Kind != DebugStopKind.None;
    }

    /// <summary>
    /// Clears the stop and any pending step before the machine resumes. When the stop was reported to the debugger, the
    /// breakpoint at the current instruction (if any) is not hit again before the CPU moves on.
    /// </summary>
    /// <param name="reported">Whether the debugger was told that this CPU stopped here.</param>
    public void DebugResume(bool reported)
    {
        _debugStop = default;
        _debugStepping = false;
        _debugRunLimit = long.MaxValue;
        if (reported)
        {
            _debugResumeIp = CurrentLinearIp;
            _debugResumeMark = DebugProgress;
        }

        RecomputeDebugArmed();
    }

    private void RecomputeDebugArmed() =>
        _debugArmed = _debugStepping || _debugStop.Kind != DebugStopKind.None || _debugPoints is { HasBreakpoints: true };

    // Run's check at an instruction boundary of a running CPU, before events are serviced there.
    private bool DebugStopHere()
    {
        if (_debugStop.Kind != DebugStopKind.None)
        {
            // A watchpoint hit: the accessing instruction completed, the CPU stops before the next one.
            _debugStop = _debugStop with { LinearIp = CurrentLinearIp };
            return true;
        }

        long progress = DebugProgress;
        if (_debugStepping && progress != _debugStepMark)
        {
            StopForDebugger(new DebugStop(DebugStopKind.Step, CurrentLinearIp));
            return true;
        }

        if (_debugPoints is { HasBreakpoints: true } points)
        {
            ulong ip = CurrentLinearIp;
            if (points.IsBreakpoint(ip) && (ip != _debugResumeIp || progress != _debugResumeMark))
            {
                StopForDebugger(new DebugStop(DebugStopKind.Breakpoint, ip));
                return true;
            }
        }

        return false;
    }

    private void StopForDebugger(DebugStop stop)
    {
        _debugStop = stop;
        _debugStepping = false;
        _debugRunLimit = long.MaxValue;
        _debugArmed = true;
    }

    // Whether the decoder must start a block at la (a breakpoint): the block before it ends there.
    private bool DebugBreakpointAt(ulong la) => _debugPoints is { HasBreakpoints: true } points && points.IsBreakpoint(la);

    // Called by the memory slow path for data accesses while watchpoints are set: a hit stops the CPU after this instruction.
    private void DebuggerWatchAccess(ulong la, int size, bool write, AccessKind kind)
    {
        if ((kind & (AccessKind.Execute | AccessKind.System)) != 0 || _debugStop.Kind != DebugStopKind.None) return;
        if (_debugPoints?.Match(la, size, write) is not { } watch) return;
        StopForDebugger(new DebugStop(DebugStopKind.Watchpoint, 0, watch, Math.Max(la, watch.Address)));
        RequestExit();
    }

    // Watched pages are never cached in the TLB: their accesses all reach the slow path.
    private bool DebuggerWatchesPage(ulong la) => _debugPoints is { } points && points.WatchesPage(la);

    // Drops the read and write TLB entries of one linear page (nothing else: the guest sees no TLB flush).
    private void ForgetLinearPage(ulong page)
    {
        const ulong flags = TlbUserBit | TlbCodeBit;
        for (int i = 0; i < TlbSize; i++)
        {
            if ((_readTlb[i].Tag & ~flags) == page) _readTlb[i].Tag = TlbInvalid;
            if ((_writeTlb[i].Tag & ~flags) == page) _writeTlb[i].Tag = TlbInvalid;
        }
    }
}
