namespace Smp.Devices.Cpu;

/// <summary>The table a descriptor-table instruction loaded.</summary>
public enum DescriptorTable
{
    /// <summary>LGDT.</summary>
    Gdt,
    /// <summary>LIDT.</summary>
    Idt,
    /// <summary>LLDT.</summary>
    Ldt,
    /// <summary>LTR (the task register).</summary>
    Tr,
}

/// <summary>How an event reached the CPU, which decides RIP saved, #DF rules and privilege checks.</summary>
public enum EventKind
{
    /// <summary>A fault raised by an instruction (RIP of the instruction is saved).</summary>
    Fault,
    /// <summary>A trap raised after an instruction completes (debug traps; RIP of the next instruction is saved).</summary>
    Trap,
    /// <summary>An external maskable interrupt.</summary>
    ExternalInterrupt,
    /// <summary>A non-maskable interrupt.</summary>
    Nmi,
    /// <summary>INT n (gate DPL checked against CPL).</summary>
    SoftwareInterrupt,
    /// <summary>INT3 or INTO (gate DPL checked against CPL).</summary>
    SoftwareException,
    /// <summary>INT1/ICEBP (no DPL check).</summary>
    PrivilegedSoftwareException,
}

/// <summary>One delivered exception or interrupt, as observed.</summary>
/// <param name="Vector">The vector.</param>
/// <param name="Kind">How the event arose.</param>
/// <param name="ErrorCode">The pushed error code, or null.</param>
/// <param name="Ist">The IST index used (1–7), or 0.</param>
/// <param name="FromRip">The saved return RIP.</param>
/// <param name="ToRip">The handler's first instruction.</param>
/// <param name="RspBefore">RSP before delivery.</param>
/// <param name="RspAfter">RSP after the frame was pushed.</param>
/// <param name="Depth">Events delivered and not yet returned from by IRET on this CPU, including this one.</param>
public readonly record struct EventDelivery(int Vector, EventKind Kind, uint? ErrorCode, int Ist, ulong FromRip, ulong ToRip,
    ulong RspBefore, ulong RspAfter, int Depth);

/// <summary>
/// Receives architectural facts from a CPU as they happen (mode switches, table loads, MSR writes,
/// event delivery, IRET, HLT, shutdown): the basis of telemetry and of the stress monitors.
/// Methods do nothing by default; a CPU with no observer pays one null test per fact.
/// </summary>
public abstract class CpuObserver
{
    /// <summary>The operating mode changed.</summary>
    public virtual void ModeChanged(CpuCore cpu, CpuMode from, CpuMode to) { }

    /// <summary>LGDT, LIDT, LLDT or LTR loaded a table; for LLDT/LTR <paramref name="selector"/> is the selector.</summary>
    public virtual void DescriptorTableLoaded(CpuCore cpu, DescriptorTable table, ulong baseAddress, uint limit, ushort selector) { }

    /// <summary>WRMSR wrote <paramref name="value"/> to <paramref name="msr"/>.</summary>
    public virtual void MsrWritten(CpuCore cpu, uint msr, ulong value) { }

    /// <summary>SWAPGS exchanged GS.base and IA32_KERNEL_GS_BASE; <paramref name="gsBase"/> is the new GS base.</summary>
    public virtual void SwapGs(CpuCore cpu, ulong gsBase) { }

    /// <summary>An exception or interrupt was delivered.</summary>
    public virtual void EventDelivered(CpuCore cpu, in EventDelivery delivery) { }

    /// <summary>IRET returned from <paramref name="fromRip"/> (the IRET itself) to <paramref name="toRip"/>.</summary>
    public virtual void Iret(CpuCore cpu, ulong fromRip, ulong toRip) { }

    /// <summary>The CPU entered the watched function at <paramref name="address"/> (<see cref="CpuCore.Watch"/>) with RSP = <paramref name="rsp"/>.</summary>
    public virtual void FunctionEntered(CpuCore cpu, ulong address, ulong rsp) { }

    /// <summary>The watched function entered at <paramref name="address"/> returned (its frame was popped).</summary>
    public virtual void FunctionReturned(CpuCore cpu, ulong address) { }

    /// <summary>HLT stopped the CPU.</summary>
    public virtual void Halted(CpuCore cpu) { }

    /// <summary>The CPU entered the shutdown state.</summary>
    public virtual void Shutdown(CpuCore cpu, string reason) { }
}
