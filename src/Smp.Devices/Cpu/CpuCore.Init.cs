namespace Smp.Devices.Cpu;

// Platform entry points for the signals that reach a processor from outside: NMI, INIT, SIPI.
// The platform (local APIC / APIC bus) calls them between quanta; they only change state and
// request attention, delivery happens inside Run.
public sealed partial class CpuCore
{
    private bool _sipiAccepted;

    /// <summary>
    /// Latches a non-maskable interrupt. It is delivered (vector 2, whatever RFLAGS.IF says) at the
    /// next instruction boundary unless NMIs are blocked by an NMI handler that has not yet executed
    /// IRET, in which case exactly one NMI stays latched until that IRET (SDM Vol. 3A §6.7.1).
    /// A halted CPU wakes; a CPU in shutdown leaves it unless NMIs are blocked (§6.15, interrupt 8).
    /// A CPU waiting for SIPI keeps the NMI latched.
    /// </summary>
    public void InjectNmi()
    {
        _nmiPending = true;
        RequestExit();
    }

    /// <summary>
    /// Tells the core that its <see cref="InterruptSource"/> may have a new pending interrupt, so
    /// that the next boundary examines it (a halted CPU wakes if RFLAGS.IF = 1).
    /// </summary>
    public void NotifyInterruptPending() => RequestExit();

    /// <summary>
    /// INIT: resets the processor to the INIT state of SDM Vol. 3A Table 9-1 (the RESET values for
    /// registers) but leaves the model-specific registers unchanged (§9.1): the TSC keeps counting, the MTRRs,
    /// IA32_APIC_BASE and the rest stay, and so does the x87/SSE state; EFER is cleared with the return to real mode. The bootstrap
    /// processor restarts at the reset vector FFFF_FFF0h; an application processor enters
    /// wait-for-SIPI (SDM Vol. 3A §8.4.2; fact sheet D5) and accepts one start-up IPI.
    /// </summary>
    public void Init()
    {
        var before = Mode;
        _initKeepsMsrs = true;
        try
        {
            ResetRegisters();   // the AP's wait-for-SIPI state is set by the reset path; x87/SSE state is kept
        }
        finally
        {
            _initKeepsMsrs = false;
        }
        if (Mode != before) Observer?.ModeChanged(this, before, Mode);
    }

    /// <summary>
    /// A start-up IPI with <paramref name="vector"/> (0–255, taken as given): accepted only in
    /// wait-for-SIPI and only once per INIT. The CPU then runs in real mode at CS:IP = VV00:0000
    /// with CS base VV × 4096 (SDM Vol. 3A §8.4.4.1, MP spec B.4.2). SIPIs are not latched.
    /// </summary>
    /// <returns>True when the SIPI started the processor, false when it was ignored.</returns>
    public bool StartupIpi(int vector)
    {
        if (State != RunState.WaitForSipi || _sipiAccepted) return false;
        _sipiAccepted = true;
        vector &= 0xFF;
        Segs[Seg.CS] = new SegmentRegister { Selector = (ushort)(vector << 8), Base = (ulong)vector << 12, Limit = 0xFFFF, Attributes = 0x9B };
        Rip = 0;
        State = RunState.Running;
        UpdateMode();
        return true;
    }
}
