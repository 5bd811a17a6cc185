namespace Smp.Devices.Cpu.Debugger;

/// <summary>Why a CPU stopped for a debugger.</summary>
public enum DebugStopKind
{
    /// <summary>It did not.</summary>
    None,

    /// <summary>It is about to execute the instruction at a breakpoint (not executed yet).</summary>
    Breakpoint,

    /// <summary>It completed the single step it was asked for: one instruction retired, or one event delivered.</summary>
    Step,

    /// <summary>An instruction that completed accessed a watched range.</summary>
    Watchpoint,
}
