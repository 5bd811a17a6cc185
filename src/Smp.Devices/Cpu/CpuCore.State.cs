using Smp.Devices.Snapshots;

namespace Smp.Devices.Cpu;

// Saving and restoring the whole state of a processor (snapshots, stress campaigns, checkpoints).
// Derived state (mode, code size, effective segment bases, armed breakpoints, step mode) is
// recomputed on restore; caches are flushed (TLB) or left to validate themselves (decoded blocks
// carry a code stamp of their page, and PhysicalMemory.Restore invalidates the code of restored pages).
public sealed partial class CpuCore
{
    /// <summary>Copies this processor's complete state. Call it between quanta (not from inside <see cref="Run"/>).</summary>
    public CpuState SaveState() => new()
    {
        ApicId = ApicId,
        Gprs = ((ReadOnlySpan<ulong>)R)[..16].ToArray(),
        Rip = Rip,
        Rflags = GetRflags(),
        Segments = (SegmentRegister[])Segs.Clone(),
        Cr0 = Cr0, Cr2 = Cr2, Cr3 = Cr3, Cr4 = Cr4, Cr8 = Cr8, Efer = Efer,
        Gdtr = Gdtr, Idtr = Idtr, Ldtr = Ldtr, Tr = Tr,
        Dr = (ulong[])Dr.Clone(), Dr6 = Dr6, Dr7 = Dr7,
        Cpl = Cpl,
        Pdptes = (ulong[])_pdpte.Clone(), A20Mask = A20Mask,
        ApicBaseMsr = ApicBaseMsr, ApicWindow = ApicWindow,
        Star = Star, Lstar = Lstar, Cstar = Cstar, Fmask = Fmask, KernelGsBase = KernelGsBase, TscAux = TscAux,
        SysenterCs = SysenterCs, SysenterEsp = SysenterEsp, SysenterEip = SysenterEip,
        MiscEnable = MiscEnable, Pat = Pat, MtrrDefType = MtrrDefType,
        MtrrVariable = (ulong[])_mtrrVariable.Clone(), MtrrFixed = (ulong[])_mtrrFixed.Clone(),
        FeatureControl = FeatureControl, TscAdjust = TscAdjust, DebugCtl = DebugCtl, MachineCheckBanks = (ulong[])_mcBanks.Clone(),
        RandomDraws = _randomCounter, TscDomainLatest = TscDomain?.Latest ?? 0,
        InstructionsRetired = InstructionsRetired, CycleOffset = CycleOffset, TscOffset = _tscOffset,
        CyclesPerInstruction = CyclesPerInstruction, FrequencyHz = FrequencyHz,
        RunState = State, ShutdownReason = ShutdownReason, SipiAccepted = _sipiAccepted,
        NmiBlocked = _nmiBlocked, NmiPending = _nmiPending, InterruptShadow = (int)_shadow,
        EventDepth = _eventDepth, Deliveries = _deliveries, PendingDr6 = _pendingDr6,
        ExtendedState = SaveExtendedImage(), FpuCs = FpuCs, FpuDs = FpuDs, Xcr0 = Xcr0,
    };

    /// <summary>
    /// Puts this processor back into <paramref name="state"/> (taken from this or a like-configured
    /// CPU), flushing the TLB. Decoded blocks stay cached: each is revalidated against its page's
    /// code stamps, so code restored by <see cref="Memory.PhysicalMemory.Restore"/> is decoded again.
    /// Call it between quanta. Observers, the interrupt source and the local APIC links are not part of the state.
    /// </summary>
    public void RestoreState(CpuState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Gprs.AsSpan(0, 16).CopyTo(R);
        R[16] = 0;
        Rip = NextRip = state.Rip;
        LazyOp = FlagOp.None;
        RflagsBits = state.Rflags;
        state.Segments.AsSpan(0, 6).CopyTo(Segs);
        Cr0 = state.Cr0; Cr2 = state.Cr2; Cr3 = state.Cr3; Cr4 = state.Cr4; Cr8 = state.Cr8; Efer = state.Efer;
        Gdtr = state.Gdtr; Idtr = state.Idtr; Ldtr = state.Ldtr; Tr = state.Tr;
        state.Dr.AsSpan(0, 4).CopyTo(Dr);
        Dr6 = state.Dr6; Dr7 = state.Dr7;
        state.Pdptes.AsSpan(0, 4).CopyTo(_pdpte);
        A20Mask = state.A20Mask;
        ApicBaseMsr = state.ApicBaseMsr; ApicWindow = state.ApicWindow;
        Star = state.Star; Lstar = state.Lstar; Cstar = state.Cstar; Fmask = state.Fmask;
        KernelGsBase = state.KernelGsBase; TscAux = state.TscAux;
        SysenterCs = state.SysenterCs; SysenterEsp = state.SysenterEsp; SysenterEip = state.SysenterEip;
        MiscEnable = state.MiscEnable; Pat = state.Pat; MtrrDefType = state.MtrrDefType;
        state.MtrrVariable.AsSpan().CopyTo(_mtrrVariable);
        state.MtrrFixed.AsSpan().CopyTo(_mtrrFixed);
        FeatureControl = state.FeatureControl; TscAdjust = state.TscAdjust; DebugCtl = state.DebugCtl;
        state.MachineCheckBanks.AsSpan().CopyTo(_mcBanks);
        _randomCounter = state.RandomDraws;
        if (TscDomain is { } domain) domain.Latest = state.TscDomainLatest;   // every CPU of a snapshot saved the same value
        InstructionsRetired = state.InstructionsRetired; CycleOffset = state.CycleOffset; _tscOffset = state.TscOffset;
        CyclesPerInstruction = state.CyclesPerInstruction; FrequencyHz = state.FrequencyHz;
        State = state.RunState; ShutdownReason = state.ShutdownReason; _sipiAccepted = state.SipiAccepted;
        _nmiBlocked = state.NmiBlocked; _nmiPending = state.NmiPending; _shadow = (InterruptShadow)state.InterruptShadow;
        _eventDepth = state.EventDepth; _deliveries = state.Deliveries; _pendingDr6 = state.PendingDr6;
        RestoreExtendedImage(state.ExtendedState);
        FpuCs = state.FpuCs; FpuDs = state.FpuDs; Xcr0 = state.Xcr0;
        // Transient per-instruction state.
        _instructionBreakpointFault = false;
        _tfAtStart = false;
        _retiredInBlock = 0;
        LastFault = FirstFault = null;
        _watchFrames.Clear();   // watched-function frames of the abandoned timeline
        // Derived state: mode and segment bases (UpdateMode forces CPL 0 only in real mode, as the
        // saved state already has), CPL = saved, breakpoint arming + TLB flush + step mode.
        Cpl = state.Cpl;
        UpdateMode();
        Cpl = state.Cpl;
        _tlbUserTag = Cpl == 3 ? TlbUserBit : 0;
        OnDebugRegistersChanged();
        _attention = true;
    }

    // PhysicalMemory took or restored a snapshot: writes must refill the write TLB (and so mark pages dirty).
    private void RevokeFastWrites()
    {
        for (int i = 0; i < TlbSize; i++) _writeTlb[i].Tag = TlbInvalid;
    }
}
