namespace Smp.Devices.Cpu.Debugger;

/// <summary>What a debugger watchpoint watches for (gdb's Z2, Z3 and Z4).</summary>
public enum WatchKind
{
    /// <summary>Writes (gdb <c>watch</c>, Z2).</summary>
    Write,

    /// <summary>Reads (gdb <c>rwatch</c>, Z3).</summary>
    Read,

    /// <summary>Reads and writes (gdb <c>awatch</c>, Z4).</summary>
    Access,
}
