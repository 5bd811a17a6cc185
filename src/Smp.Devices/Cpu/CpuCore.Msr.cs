using System.Runtime.CompilerServices;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu;

// Model-specific registers (RDMSR/WRMSR, SDM Vol. 2B and Vol. 4 Table 2-2) and the simulated clock
// behind the time-stamp counter (SDM Vol. 3B §17.17).
public sealed partial class CpuCore
{
    /// <summary>IA32_APIC_BASE (MSR 0x1B): BSP bit 8 (read-only), EXTD bit 10, EN bit 11, base address from bit 12.</summary>
    public ulong ApicBaseMsr { get; private set; }

    /// <summary>IA32_STAR: SYSCALL CS in bits 47:32 (SS = CS + 8), SYSRET selector base in bits 63:48.</summary>
    public ulong Star;

    /// <summary>IA32_LSTAR: RIP loaded by SYSCALL (canonical).</summary>
    public ulong Lstar;

    /// <summary>IA32_CSTAR: compatibility-mode SYSCALL target (stored only; Intel processors do not use it).</summary>
    public ulong Cstar;

    /// <summary>IA32_FMASK: the RFLAGS bits SYSCALL clears (bits 31:0).</summary>
    public ulong Fmask;

    /// <summary>IA32_KERNEL_GS_BASE: exchanged with the GS base by SWAPGS (canonical).</summary>
    public ulong KernelGsBase;

    /// <summary>IA32_TSC_AUX (bits 31:0): returned in ECX by RDTSCP.</summary>
    public ulong TscAux;

    /// <summary>IA32_SYSENTER_CS, IA32_SYSENTER_ESP, IA32_SYSENTER_EIP (used by SYSENTER and SYSEXIT).</summary>
    public ulong SysenterCs, SysenterEsp, SysenterEip;

    /// <summary>IA32_MISC_ENABLE (see <see cref="MiscEnableWritable"/>; bits 22 and 34 change what CPUID reports).</summary>
    public ulong MiscEnable;

    /// <summary>
    /// IA32_MISC_ENABLE bits software may change: fast strings (0), automatic thermal control (3), Enhanced
    /// SpeedStep (16), MONITOR FSM (18), limit CPUID maxval (22), xTPR disable (23), XD disable (34). The
    /// thermal, SpeedStep, MONITOR and xTPR enables are stored only (their features are absent from CPUID).
    /// Bits 7, 11, 12 are read-only; writing any other bit raises #GP (SDM Vol. 4 Table 2-2).
    /// </summary>
    public const ulong MiscEnableWritable = Msr.MiscEnableFastStrings | (1UL << 3) | (1UL << 16) | (1UL << 18)
        | Msr.MiscEnableLimitCpuidMaxval | (1UL << 23) | Msr.MiscEnableXdDisable;

    private const ulong MiscEnableReadOnly = Msr.MiscEnablePerfMon | Msr.MiscEnableBtsUnavailable | Msr.MiscEnablePebsUnavailable;

    /// <summary>IA32_FEATURE_CONTROL: only the lock bit (0) exists; once set, WRMSR raises #GP until RESET.</summary>
    public ulong FeatureControl;

    /// <summary>IA32_TSC_ADJUST: the sum of every adjustment WRMSR made to the TSC since RESET (SDM Vol. 3B §17.17.3).</summary>
    public ulong TscAdjust;

    /// <summary>IA32_DEBUGCTL: only BTF (bit 1, single-step on branches) is implemented; no LBR or BTS.</summary>
    public ulong DebugCtl;

    /// <summary>IA32_DEBUGCTL.BTF: with RFLAGS.TF, single-step traps only after taken branches (SDM Vol. 3B §17.4.3).</summary>
    public const ulong DebugCtlBtf = 1UL << 1;

    /// <summary>
    /// IA32_ARCH_CAPABILITIES: the simulated core does not execute speculatively, so it reports itself free of
    /// the weaknesses the MSR can rule out: RDCL_NO (0), SSB_NO (4), MDS_NO (5), PSCHANGE_MC_NO (6), TAA_NO (8),
    /// SBDR_SSDP_NO (13), FBSDP_NO (14), PSDP_NO (15), BHI_NO (20), PBRSB_NO (24), GDS_NO (26), RFDS_NO (27), ITS_NO (62).
    /// </summary>
    public const ulong ArchCapabilitiesValue = 1UL | (1UL << 4) | (1UL << 5) | (1UL << 6) | (1UL << 8) | (1UL << 13) | (1UL << 14)
        | (1UL << 15) | (1UL << 20) | (1UL << 24) | (1UL << 26) | (1UL << 27) | (1UL << 62);

    /// <summary>IA32_PAT (reset value 0007040600070406H). Stored and validated; memory types have no effect in the simulator.</summary>
    public ulong Pat;

    /// <summary>IA32_MTRR_DEF_TYPE. Stored and validated; memory types have no effect in the simulator.</summary>
    public ulong MtrrDefType;

    // Variable-range MTRR pairs from 0x200 (PHYSBASEn, PHYSMASKn), then the 11 fixed-range MTRRs.
    private readonly ulong[] _mtrrVariable = new ulong[2 * MtrrVariableCount];
    private readonly ulong[] _mtrrFixed = new ulong[11];

    /// <summary>Number of variable-range MTRRs reported by IA32_MTRRCAP.VCNT (ten, as on the modelled part).</summary>
    public const int MtrrVariableCount = 10;

    /// <summary>IA32_MTRRCAP: VCNT = 10, fixed-range MTRRs (bit 8) and write-combining (bit 10) supported; no SMRR (no SMM).</summary>
    public const ulong MtrrCapValue = MtrrVariableCount | (1UL << 8) | (1UL << 10);

    /// <summary>The microcode revision IA32_BIOS_SIGN_ID reports in bits 63:32.</summary>
    public const uint MicrocodeRevision = 0x15;

    /// <summary>
    /// The local APIC's MSR-side registers (x2APIC MSRs, CR8, APIC base changes), attached by the
    /// platform; null means no APIC: x2APIC MSRs raise #GP and CR8 is kept in <see cref="Cr8"/>.
    /// </summary>
    public ILocalApicRegisters? LocalApicRegisters;

    /// <summary>
    /// Cores per package that CPUID reports (leaves 1, 4, 0xB; default 1: every CPU its own package).
    /// Set it on all CPUs of a machine whose APIC IDs are numbered consecutively within a package.
    /// </summary>
    public int CoresPerPackage = 1;

    private static bool IsCanonical(ulong a) => (ulong)(((long)a << 16) >> 16) == a;

    // Set while INIT runs the reset path: INIT leaves the model-specific registers (and with them the TSC, the
    // MTRRs and the APIC's mode) as they were (SDM Vol. 3A §9.1: "the internal caches, MSRs, MTRRs, and x87 FPU
    // state are left unchanged"; §10.12.5.1: INIT keeps the APIC in its xAPIC, x2APIC or disabled state).
    private bool _initKeepsMsrs;

    // RESET values of the model-specific registers (EFER, cleared by INIT too, is reset with the control registers).
    private void ResetSystemRegisters()
    {
        if (_initKeepsMsrs) return;
        ApicBaseMsr = Msr.DefaultApicBase | Msr.ApicBaseEnable | (IsBsp ? Msr.ApicBaseBsp : 0);
        ApicWindow = Msr.DefaultApicBase;
        Star = Lstar = Cstar = Fmask = KernelGsBase = TscAux = 0;
        SysenterCs = SysenterEsp = SysenterEip = 0;
        MiscEnable = Msr.MiscEnableFastStrings | Msr.MiscEnableBtsUnavailable | Msr.MiscEnablePebsUnavailable;
        FeatureControl = TscAdjust = DebugCtl = 0;
        Array.Clear(_mcBanks);
        Pat = 0x0007_0406_0007_0406UL;
        MtrrDefType = 0;
        Array.Clear(_mtrrVariable);
        Array.Clear(_mtrrFixed);
        _tscOffset = 0 - ElapsedCycles; // the TSC is 0 after RESET (SDM Vol. 3B §17.17)
    }

    /// <summary>
    /// Reads MSR <paramref name="msr"/> as RDMSR does, without privilege checks.
    /// Returns false for an MSR that does not exist (RDMSR then raises #GP(0)).
    /// </summary>
    public bool TryReadMsr(uint msr, out ulong value)
    {
        value = 0;
        switch (msr)
        {
            case Msr.Tsc: value = Tsc; return true;
            case Msr.TscDeadline when LocalApicRegisters is { } apic: value = apic.TscDeadline; return true;
            case Msr.PlatformId: return true;
            case Msr.ApicBase: value = ApicBaseMsr; return true;
            case Msr.FeatureControl: value = FeatureControl; return true;
            case Msr.TscAdjust: value = TscAdjust; return true;
            case Msr.BiosSignId: value = (ulong)MicrocodeRevision << 32; return true;
            case Msr.PlatformInfo: value = PlatformInfoValue; return true;
            case Msr.MtrrCap: value = MtrrCapValue; return true;
            case Msr.ArchCapabilities: value = ArchCapabilitiesValue; return true;
            case Msr.SysenterCs: value = SysenterCs; return true;
            case Msr.SysenterEsp: value = SysenterEsp; return true;
            case Msr.SysenterEip: value = SysenterEip; return true;
            case Msr.McgCap: value = McgCapValue; return true;
            case Msr.McgStatus: return true;
            case Msr.MiscEnable: value = MiscEnable; return true;
            case Msr.DebugCtl: value = DebugCtl; return true;
            case Msr.Pat: value = Pat; return true;
            case Msr.MtrrDefType: value = MtrrDefType; return true;
            case Msr.Efer: value = Efer; return true;
            case Msr.Star: value = Star; return true;
            case Msr.Lstar: value = Lstar; return true;
            case Msr.Cstar: value = Cstar; return true;
            case Msr.Fmask: value = Fmask; return true;
            case Msr.FsBase: value = Segs[Seg.FS].Base; return true;
            case Msr.GsBase: value = Segs[Seg.GS].Base; return true;
            case Msr.KernelGsBase: value = KernelGsBase; return true;
            case Msr.TscAux: value = TscAux; return true;
        }
        if (msr is >= Msr.X2ApicFirst and <= Msr.X2ApicLast)
            return X2ApicMode && LocalApicRegisters is { } apic && apic.TryReadX2ApicMsr(msr, out value);
        if (MtrrSlot(msr, out var table, out int index)) { value = table[index]; return true; }
        return TryReadMachineCheckMsr(msr, out value);
    }

    /// <summary>
    /// MSR_PLATFORM_INFO: the maximum non-turbo ratio (bits 15:8) and the maximum efficiency ratio (bits 47:40),
    /// both the core clock over the 100 MHz bus clock; no programmable ratios or TDP, no CPUID faulting.
    /// </summary>
    public ulong PlatformInfoValue
    {
        get
        {
            ulong ratio = (ulong)Math.Clamp(FrequencyHz / (Cpuid.BusMHz * 1_000_000L), 1, 255);
            return (ratio << 8) | (ratio << 40);
        }
    }

    /// <summary>
    /// Writes MSR <paramref name="msr"/> as WRMSR does (without the privilege check and without
    /// notifying the observer). Returns false, changing nothing, when WRMSR would raise #GP(0):
    /// unknown or read-only MSR, reserved bits, a non-canonical address, an illegal mode change.
    /// </summary>
    public bool TryWriteMsr(uint msr, ulong value)
    {
        NoteDeviceAccess(); // the APIC's MSRs (x2APIC, TSC deadline) among them
        switch (msr)
        {
            case Msr.Tsc:
                // A write that moves the TSC by X moves IA32_TSC_ADJUST by X too (SDM Vol. 3B §17.17.3).
                TscAdjust += value - Tsc;
                Tsc = value;
                return true;
            case Msr.TscAdjust:
                // And a write that moves IA32_TSC_ADJUST by X moves the TSC by X.
                _tscOffset += value - TscAdjust;
                TscAdjust = value;
                return true;
            case Msr.TscDeadline when LocalApicRegisters is { } apic: apic.TscDeadline = value; return true;
            case Msr.ApicBase: return WriteApicBase(value);
            case Msr.FeatureControl:
                if ((FeatureControl & 1) != 0 || (value & ~1UL) != 0) return false; // locked, or a feature that is absent
                FeatureControl = value;
                return true;
            case Msr.BiosUpdateTrigger: case Msr.BiosSignId: return true;
            case Msr.SysenterCs: SysenterCs = (uint)value; return true;
            case Msr.SysenterEsp: return WriteAddressMsr(ref SysenterEsp, value);
            case Msr.SysenterEip: return WriteAddressMsr(ref SysenterEip, value);
            case Msr.McgStatus: return value == 0;
            case Msr.MiscEnable:
                if ((value & ~(MiscEnableWritable | MiscEnableReadOnly)) != 0) return false;
                MiscEnable = (value & MiscEnableWritable) | (MiscEnable & MiscEnableReadOnly);
                return true;
            case Msr.DebugCtl:
                if ((value & ~DebugCtlBtf) != 0) return false;
                DebugCtl = value;
                return true;
            case Msr.Pat: return WritePat(value);
            case Msr.MtrrDefType:
                if ((value & ~0xCFFUL) != 0 || !IsMtrrType(value & 0xFF)) return false;
                MtrrDefType = value;
                return true;
            case Msr.Efer: return WriteEfer(value);
            case Msr.Star: Star = value; return true;
            case Msr.Lstar: return WriteAddressMsr(ref Lstar, value);
            case Msr.Cstar: return WriteAddressMsr(ref Cstar, value);
            case Msr.Fmask: Fmask = (uint)value; return true;
            case Msr.FsBase:
            case Msr.GsBase:
                if (!IsCanonical(value)) return false;
                WriteSegmentBase(msr == Msr.FsBase ? Seg.FS : Seg.GS, value);
                return true;
            case Msr.KernelGsBase: return WriteAddressMsr(ref KernelGsBase, value);
            case Msr.TscAux:
                if ((value >> 32) != 0) return false;
                TscAux = value;
                return true;
        }
        if (msr is >= Msr.X2ApicFirst and <= Msr.X2ApicLast)
            return X2ApicMode && LocalApicRegisters is { } apic && apic.TryWriteX2ApicMsr(msr, value);
        if (MtrrSlot(msr, out var table, out int index))
        {
            if (!ValidMtrrValue(msr, value)) return false;
            table[index] = value;
            return true;
        }
        return TryWriteMachineCheckMsr(msr, value);
    }

    /// <summary>
    /// Sets the FS or GS base as IA32_FS_BASE/IA32_GS_BASE, WRFSBASE/WRGSBASE and SWAPGS do: those MSRs are the
    /// descriptor caches' bases (SDM Vol. 3A §3.4.4). Nothing about code fetch changes, so the decoded-code
    /// caches stay valid.
    /// </summary>
    internal void WriteSegmentBase(int seg, ulong value)
    {
        Segs[seg].Base = value;
        _effectiveBase[seg] = Is64 && seg < Seg.FS ? 0 : value;
    }

    /// <summary>True when the local APIC is in x2APIC mode (IA32_APIC_BASE.EN = EXTD = 1).</summary>
    public bool X2ApicMode => (ApicBaseMsr & (Msr.ApicBaseEnable | Msr.ApicBaseExtd)) == (Msr.ApicBaseEnable | Msr.ApicBaseExtd);

    private static bool WriteAddressMsr(ref ulong field, ulong value)
    {
        if (!IsCanonical(value)) return false;
        field = value;
        return true;
    }

    // SDM Vol. 3A §10.12.5 (Figure 10-27): the legal transitions between disabled, xAPIC and x2APIC
    // modes; EN = 0 with EXTD = 1 is invalid; x2APIC → xAPIC and disabled → x2APIC are illegal.
    private bool WriteApicBase(ulong value)
    {
        ulong reserved = 0xFFUL | (1UL << 9) | ~((1UL << MaxPhysAddrBits) - 1);
        if ((value & reserved) != 0) return false;
        bool en = (value & Msr.ApicBaseEnable) != 0, extd = (value & Msr.ApicBaseExtd) != 0;
        bool wasEn = (ApicBaseMsr & Msr.ApicBaseEnable) != 0, wasExtd = (ApicBaseMsr & Msr.ApicBaseExtd) != 0;
        if (!en && extd) return false;
        if (wasEn && wasExtd && en && !extd) return false;
        if (!wasEn && en && extd) return false;
        ApicBaseMsr = (value & ~Msr.ApicBaseBsp) | (ApicBaseMsr & Msr.ApicBaseBsp);
        ApicWindow = en && !extd ? ApicBaseMsr & ~0xFFFUL & ((1UL << MaxPhysAddrBits) - 1) : ulong.MaxValue;
        FlushTlb(); // the window may now cover a page whose RAM mapping is cached
        LocalApicRegisters?.ApicBaseChanged(ApicBaseMsr);
        return true;
    }

    // SDM Vol. 4 Table 2-2 (IA32_EFER) and Vol. 3A §9.8.5: LMA is read-only; LME cannot change while paging is on.
    private bool WriteEfer(ulong value)
    {
        const ulong writable = Msr.EferSce | Msr.EferLme | Msr.EferNxe;
        if ((value & ~(writable | Msr.EferLma)) != 0) return false;
        // NXE exists only while CPUID reports execute-disable (IA32_MISC_ENABLE.XD_DISABLE hides it).
        if ((value & Msr.EferNxe) != 0 && (Efer & Msr.EferNxe) == 0 && (MiscEnable & Msr.MiscEnableXdDisable) != 0) return false;
        if (PagingEnabled && ((value ^ Efer) & Msr.EferLme) != 0) return false;
        ulong old = Efer;
        Efer = (value & writable) | (Efer & Msr.EferLma);
        if (((old ^ Efer) & Msr.EferNxe) != 0) FlushTlb();
        return true;
    }

    // SDM Vol. 3A §11.12.2: each PAT entry is a memory type 0, 1, 4, 5, 6 or 7 in bits 2:0; bits 7:3 are reserved.
    private bool WritePat(ulong value)
    {
        for (int i = 0; i < 8; i++)
        {
            ulong t = (value >> (i * 8)) & 0xFF;
            if (t is 2 or 3 or > 7) return false;
        }
        Pat = value;
        return true;
    }

    private static bool IsMtrrType(ulong t) => t is 0 or 1 or 4 or 5 or 6;

    private bool MtrrSlot(uint msr, out ulong[] table, out int index)
    {
        table = _mtrrFixed;
        index = msr switch
        {
            Msr.MtrrFix64K00000 => 0,
            Msr.MtrrFix16K80000 => 1,
            Msr.MtrrFix16KA0000 => 2,
            >= Msr.MtrrFix4KC0000 and <= Msr.MtrrFix4KC0000 + 7 => 3 + (int)(msr - Msr.MtrrFix4KC0000),
            _ => -1,
        };
        if (index >= 0) return true;
        if (msr >= Msr.MtrrPhysBase0 && msr < Msr.MtrrPhysBase0 + 2 * MtrrVariableCount)
        {
            table = _mtrrVariable;
            index = (int)(msr - Msr.MtrrPhysBase0);
            return true;
        }
        return false;
    }

    // SDM Vol. 3A §11.11.2.2–3: fixed-range MTRRs hold eight type bytes; PHYSBASE has a type in bits 7:0
    // (bits 11:8 reserved), PHYSMASK has the valid bit 11 (bits 10:0 reserved); bits above MAXPHYADDR are reserved.
    private static bool ValidMtrrValue(uint msr, ulong value)
    {
        if (msr < Msr.MtrrPhysBase0 + 2 * MtrrVariableCount)
        {
            if ((value & ~((1UL << MaxPhysAddrBits) - 1)) != 0) return false;
            bool isBase = ((msr - Msr.MtrrPhysBase0) & 1) == 0;
            return isBase ? (value & 0xF00) == 0 && IsMtrrType(value & 0xFF) : (value & 0x7FF) == 0;
        }
        for (int i = 0; i < 8; i++)
            if (!IsMtrrType((value >> (i * 8)) & 0xFF)) return false;
        return true;
    }

    // ---- the simulated clock and the TSC ------------------------------------------------------

    /// <summary>
    /// Simulated core cycles each retired instruction takes (default 1). Together with
    /// <see cref="FrequencyHz"/> it defines this CPU's clock: cycles = retired × CPI + <see cref="CycleOffset"/>.
    /// </summary>
    public long CyclesPerInstruction = 1;

    /// <summary>
    /// The simulated core (and TSC) frequency in hertz (default 1 GHz), used to convert cycles into
    /// <see cref="SimulatedNanoseconds"/>. The platform reports it to the guest (e.g. via TSC calibration).
    /// </summary>
    public long FrequencyHz = 1_000_000_000;

    /// <summary>
    /// Cycles added to the clock besides retired instructions: time the CPU spent idle (HLT,
    /// wait-for-SIPI) and platform time jumps. See <see cref="AdvanceIdleCycles"/>.
    /// </summary>
    public ulong CycleOffset;

    private ulong _tscOffset;
    private long _retiredInBlock; // instructions of the current block retired before the executing one

    /// <summary>Advances this CPU's clock by <paramref name="cycles"/> without executing (the platform calls it for halted CPUs).</summary>
    public void AdvanceIdleCycles(ulong cycles) => CycleOffset += cycles;

    /// <summary>Cycles elapsed on this CPU's clock: retired instructions × <see cref="CyclesPerInstruction"/> + <see cref="CycleOffset"/>.</summary>
    public ulong ElapsedCycles => (ulong)((InstructionsRetired + _retiredInBlock) * CyclesPerInstruction) + CycleOffset;

    /// <summary>This CPU's simulated time in nanoseconds: <see cref="ElapsedCycles"/> at <see cref="FrequencyHz"/>.</summary>
    public long SimulatedNanoseconds => (long)ClockMath.MulDiv(ElapsedCycles, 1_000_000_000UL, (ulong)FrequencyHz);

    /// <summary>
    /// The machine's shared TSC order (<see cref="Cpu.TscDomain"/>): when set, a TSC read never returns less than
    /// a read another CPU of the domain already made. Null for a CPU on its own.
    /// </summary>
    public TscDomain? TscDomain;

    /// <summary>
    /// The time-stamp counter as RDTSC reads it: <see cref="ElapsedCycles"/> (ordered by <see cref="TscDomain"/>)
    /// plus the offset that WRMSR to IA32_TIME_STAMP_COUNTER (and RESET, which zeroes it) establishes. Setting it
    /// changes only the offset.
    /// </summary>
    public ulong Tsc
    {
        get => (TscDomain is { } domain ? domain.Order(ElapsedCycles) : ElapsedCycles) + _tscOffset;
        set => _tscOffset = value - ElapsedCycles;
    }

    /// <summary>
    /// Makes the clock exact inside a handler: instructions of the current block before <paramref name="u"/>
    /// have retired but are only added to <see cref="InstructionsRetired"/> when the block ends.
    /// Call <see cref="EndPreciseClock"/> before the handler returns or faults.
    /// </summary>
    internal void BeginPreciseClock(ref Uop u)
    {
        _retiredInBlock = u.Position;
    }

    /// <summary>Ends the window opened by <see cref="BeginPreciseClock"/>.</summary>
    internal void EndPreciseClock() => _retiredInBlock = 0;
}
