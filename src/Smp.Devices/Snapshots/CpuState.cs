using Smp.Devices.Cpu;

namespace Smp.Devices.Snapshots;

/// <summary>
/// A complete copy of one <see cref="CpuCore"/>'s architectural state and the simulator state that
/// decides its future (pending NMI, interrupt shadow, pending debug traps, clock), taken by
/// <see cref="CpuCore.SaveState"/> and put back by <see cref="CpuCore.RestoreState"/>. RFLAGS is
/// stored with the lazily computed status flags materialised. Caches (TLB, decoded blocks) are not
/// part of the state. Two states are equal when every field (and array element) is equal.
/// </summary>
public sealed record CpuState
{
    /// <summary>The local APIC ID of the CPU the state was taken from (informational).</summary>
    public int ApicId { get; init; }
    /// <summary>RAX..R15 in encoding order (16 values).</summary>
    public required ulong[] Gprs { get; init; }
    /// <summary>The instruction pointer.</summary>
    public ulong Rip { get; init; }
    /// <summary>RFLAGS with every status flag materialised.</summary>
    public ulong Rflags { get; init; }
    /// <summary>ES, CS, SS, DS, FS, GS with their descriptor caches.</summary>
    public required SegmentRegister[] Segments { get; init; }
    /// <summary>CR0.</summary>
    public ulong Cr0 { get; init; }
    /// <summary>CR2.</summary>
    public ulong Cr2 { get; init; }
    /// <summary>CR3.</summary>
    public ulong Cr3 { get; init; }
    /// <summary>CR4.</summary>
    public ulong Cr4 { get; init; }
    /// <summary>CR8.</summary>
    public ulong Cr8 { get; init; }
    /// <summary>IA32_EFER.</summary>
    public ulong Efer { get; init; }
    /// <summary>GDTR.</summary>
    public DescriptorTableRegister Gdtr { get; init; }
    /// <summary>IDTR.</summary>
    public DescriptorTableRegister Idtr { get; init; }
    /// <summary>LDTR with its cache.</summary>
    public SegmentRegister Ldtr { get; init; }
    /// <summary>TR with its cache.</summary>
    public SegmentRegister Tr { get; init; }
    /// <summary>DR0–DR3.</summary>
    public required ulong[] Dr { get; init; }
    /// <summary>DR6.</summary>
    public ulong Dr6 { get; init; }
    /// <summary>DR7.</summary>
    public ulong Dr7 { get; init; }
    /// <summary>The current privilege level.</summary>
    public int Cpl { get; init; }
    /// <summary>The four PAE PDPTE registers.</summary>
    public required ulong[] Pdptes { get; init; }
    /// <summary>The A20 mask applied to physical addresses.</summary>
    public ulong A20Mask { get; init; }
    /// <summary>IA32_APIC_BASE.</summary>
    public ulong ApicBaseMsr { get; init; }
    /// <summary>Physical base of the local APIC window (ulong.MaxValue when disabled).</summary>
    public ulong ApicWindow { get; init; }
    /// <summary>IA32_STAR.</summary>
    public ulong Star { get; init; }
    /// <summary>IA32_LSTAR.</summary>
    public ulong Lstar { get; init; }
    /// <summary>IA32_CSTAR.</summary>
    public ulong Cstar { get; init; }
    /// <summary>IA32_FMASK.</summary>
    public ulong Fmask { get; init; }
    /// <summary>IA32_KERNEL_GS_BASE.</summary>
    public ulong KernelGsBase { get; init; }
    /// <summary>IA32_TSC_AUX.</summary>
    public ulong TscAux { get; init; }
    /// <summary>IA32_SYSENTER_CS.</summary>
    public ulong SysenterCs { get; init; }
    /// <summary>IA32_SYSENTER_ESP.</summary>
    public ulong SysenterEsp { get; init; }
    /// <summary>IA32_SYSENTER_EIP.</summary>
    public ulong SysenterEip { get; init; }
    /// <summary>IA32_MISC_ENABLE.</summary>
    public ulong MiscEnable { get; init; }
    /// <summary>IA32_PAT.</summary>
    public ulong Pat { get; init; }
    /// <summary>IA32_MTRR_DEF_TYPE.</summary>
    public ulong MtrrDefType { get; init; }
    /// <summary>The variable-range MTRR base/mask pairs.</summary>
    public required ulong[] MtrrVariable { get; init; }
    /// <summary>The fixed-range MTRRs.</summary>
    public required ulong[] MtrrFixed { get; init; }
    /// <summary>IA32_FEATURE_CONTROL.</summary>
    public ulong FeatureControl { get; init; }
    /// <summary>IA32_TSC_ADJUST.</summary>
    public ulong TscAdjust { get; init; }
    /// <summary>IA32_DEBUGCTL.</summary>
    public ulong DebugCtl { get; init; }
    /// <summary>The machine-check banks' stored registers: CTL, ADDR, MISC, CTL2 per bank.</summary>
    public required ulong[] MachineCheckBanks { get; init; }
    /// <summary>Values drawn by RDRAND/RDSEED (the generator's position).</summary>
    public ulong RandomDraws { get; init; }
    /// <summary>The machine's <see cref="Cpu.TscDomain.Latest"/> when the state was saved (0 without a domain).</summary>
    public ulong TscDomainLatest { get; init; }
    /// <summary>Instructions retired (the clock's basis).</summary>
    public long InstructionsRetired { get; init; }
    /// <summary>Idle and jump cycles added to the clock.</summary>
    public ulong CycleOffset { get; init; }
    /// <summary>TSC − elapsed cycles.</summary>
    public ulong TscOffset { get; init; }
    /// <summary>Cycles per retired instruction.</summary>
    public long CyclesPerInstruction { get; init; }
    /// <summary>Clock frequency in hertz.</summary>
    public long FrequencyHz { get; init; }
    /// <summary>The activity state.</summary>
    public RunState RunState { get; init; }
    /// <summary>Why the CPU is in shutdown, if it is.</summary>
    public string? ShutdownReason { get; init; }
    /// <summary>Whether a start-up IPI was accepted since the last INIT.</summary>
    public bool SipiAccepted { get; init; }
    /// <summary>NMIs blocked (an NMI handler has not yet executed IRET).</summary>
    public bool NmiBlocked { get; init; }
    /// <summary>One NMI latched and waiting.</summary>
    public bool NmiPending { get; init; }
    /// <summary>The interrupt shadow on the current boundary: 0 none, 1 STI, 2 MOV SS/POP SS.</summary>
    public int InterruptShadow { get; init; }
    /// <summary>Events delivered and not yet returned from by IRET.</summary>
    public int EventDepth { get; init; }
    /// <summary>Total events delivered.</summary>
    public long Deliveries { get; init; }
    /// <summary>DR6 bits of debug traps waiting for the next boundary.</summary>
    public ulong PendingDr6 { get; init; }
    /// <summary>
    /// The x87, MMX and SSE state as FXSAVE64 stores it (512 bytes: FCW, FSW, abridged tags, FOP, 64-bit FPU IP/DP,
    /// MXCSR, ST0–ST7, XMM0–XMM15); the full tag word follows from the abridged one and the register contents.
    /// </summary>
    public required byte[] ExtendedState { get; init; }
    /// <summary>The x87 last-instruction CS and last-operand DS selectors (not in the 64-bit FXSAVE layout).</summary>
    public ushort FpuCs { get; init; }
    /// <summary>See <see cref="FpuCs"/>.</summary>
    public ushort FpuDs { get; init; }
    /// <summary>XCR0.</summary>
    public ulong Xcr0 { get; init; }

    /// <summary>Field-by-field equality, arrays compared element by element.</summary>
    public bool Equals(CpuState? other) =>
        other is not null && ApicId == other.ApicId && Gprs.AsSpan().SequenceEqual(other.Gprs) && Rip == other.Rip && Rflags == other.Rflags
        && Segments.AsSpan().SequenceEqual(other.Segments) && Cr0 == other.Cr0 && Cr2 == other.Cr2 && Cr3 == other.Cr3 && Cr4 == other.Cr4
        && Cr8 == other.Cr8 && Efer == other.Efer && Gdtr.Equals(other.Gdtr) && Idtr.Equals(other.Idtr) && Ldtr.Equals(other.Ldtr) && Tr.Equals(other.Tr)
        && Dr.AsSpan().SequenceEqual(other.Dr) && Dr6 == other.Dr6 && Dr7 == other.Dr7 && Cpl == other.Cpl && Pdptes.AsSpan().SequenceEqual(other.Pdptes)
        && A20Mask == other.A20Mask && ApicBaseMsr == other.ApicBaseMsr && ApicWindow == other.ApicWindow && Star == other.Star && Lstar == other.Lstar
        && Cstar == other.Cstar && Fmask == other.Fmask && KernelGsBase == other.KernelGsBase && TscAux == other.TscAux && SysenterCs == other.SysenterCs
        && SysenterEsp == other.SysenterEsp && SysenterEip == other.SysenterEip && MiscEnable == other.MiscEnable && Pat == other.Pat
        && MtrrDefType == other.MtrrDefType && MtrrVariable.AsSpan().SequenceEqual(other.MtrrVariable) && MtrrFixed.AsSpan().SequenceEqual(other.MtrrFixed)
        && FeatureControl == other.FeatureControl && TscAdjust == other.TscAdjust && DebugCtl == other.DebugCtl
        && MachineCheckBanks.AsSpan().SequenceEqual(other.MachineCheckBanks) && RandomDraws == other.RandomDraws && TscDomainLatest == other.TscDomainLatest
        && InstructionsRetired == other.InstructionsRetired && CycleOffset == other.CycleOffset && TscOffset == other.TscOffset
        && CyclesPerInstruction == other.CyclesPerInstruction && FrequencyHz == other.FrequencyHz && RunState == other.RunState
        && ShutdownReason == other.ShutdownReason && SipiAccepted == other.SipiAccepted && NmiBlocked == other.NmiBlocked && NmiPending == other.NmiPending
        && InterruptShadow == other.InterruptShadow && EventDepth == other.EventDepth && Deliveries == other.Deliveries && PendingDr6 == other.PendingDr6
        && ExtendedState.AsSpan().SequenceEqual(other.ExtendedState) && FpuCs == other.FpuCs && FpuDs == other.FpuDs && Xcr0 == other.Xcr0;

    /// <summary>A hash of the registers most likely to differ.</summary>
    public override int GetHashCode() => HashCode.Combine(Rip, Rflags, Gprs[0], Gprs[4], Cr3, InstructionsRetired, RunState);
}
