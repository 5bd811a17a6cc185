namespace Smp.Devices.Cpu;

/// <summary>
/// Model-specific register numbers this core implements (SDM Vol. 4, Table 2-2 "IA-32 Architectural
/// MSRs"; fact sheet A6/D7/D8). RDMSR or WRMSR of any other number raises #GP(0).
/// </summary>
public static class Msr
{
    /// <summary>IA32_TIME_STAMP_COUNTER: reads the TSC; a write sets it (by changing the TSC offset).</summary>
    public const uint Tsc = 0x10;

    /// <summary>IA32_TSC_DEADLINE: the local APIC timer's target TSC in TSC-deadline mode (SDM Vol. 3A §10.5.4.1).</summary>
    public const uint TscDeadline = 0x6E0;
    /// <summary>IA32_PLATFORM_ID: read-only, reads 0 (platform bits 52:50 = 0).</summary>
    public const uint PlatformId = 0x17;
    /// <summary>IA32_APIC_BASE: BSP bit 8, x2APIC enable (EXTD) bit 10, global enable (EN) bit 11, base from bit 12.</summary>
    public const uint ApicBase = 0x1B;
    /// <summary>IA32_FEATURE_CONTROL: lock bit 0; the VMX, SGX and LMCE enables do not exist on this CPU.</summary>
    public const uint FeatureControl = 0x3A;
    /// <summary>IA32_TSC_ADJUST: the accumulated adjustment of the TSC (SDM Vol. 3B §17.17.3).</summary>
    public const uint TscAdjust = 0x3B;
    /// <summary>IA32_ARCH_CAPABILITIES: read-only statement of which speculation weaknesses the processor lacks.</summary>
    public const uint ArchCapabilities = 0x10A;
    /// <summary>MSR_PLATFORM_INFO: read-only ratios of the core clock to the 100 MHz bus clock.</summary>
    public const uint PlatformInfo = 0xCE;
    /// <summary>IA32_MCi_CTL2 of bank 0 (CMCI enable and threshold); bank i at 0x280 + i.</summary>
    public const uint Mc0Ctl2 = 0x280;
    /// <summary>IA32_DEBUGCTL: BTF (bit 1), single-step on branches.</summary>
    public const uint DebugCtl = 0x1D9;
    /// <summary>IA32_MC0_CTL; bank i has CTL, STATUS, ADDR, MISC at 0x400 + 4i + 0..3.</summary>
    public const uint Mc0Ctl = 0x400;
    /// <summary>IA32_BIOS_UPDT_TRIG: microcode update trigger; writes are accepted and ignored.</summary>
    public const uint BiosUpdateTrigger = 0x79;
    /// <summary>IA32_BIOS_SIGN_ID: the microcode revision in bits 63:32; writes are accepted and ignored.</summary>
    public const uint BiosSignId = 0x8B;
    /// <summary>IA32_MTRRCAP: read-only MTRR capabilities.</summary>
    public const uint MtrrCap = 0xFE;
    /// <summary>IA32_SYSENTER_CS: the kernel code selector used by SYSENTER/SYSEXIT.</summary>
    public const uint SysenterCs = 0x174;
    /// <summary>IA32_SYSENTER_ESP: the kernel stack pointer loaded by SYSENTER.</summary>
    public const uint SysenterEsp = 0x175;
    /// <summary>IA32_SYSENTER_EIP: the kernel entry point loaded by SYSENTER.</summary>
    public const uint SysenterEip = 0x176;
    /// <summary>IA32_MCG_CAP: machine-check capabilities (bank count, CMCI).</summary>
    public const uint McgCap = 0x179;
    /// <summary>IA32_MCG_STATUS: machine-check status (reads 0; only 0 may be written).</summary>
    public const uint McgStatus = 0x17A;
    /// <summary>IA32_MISC_ENABLE.</summary>
    public const uint MiscEnable = 0x1A0;
    /// <summary>IA32_MTRR_PHYSBASE0; the variable-range pairs follow from 0x200 (PHYSBASEn at 0x200 + 2n, PHYSMASKn at 0x201 + 2n).</summary>
    public const uint MtrrPhysBase0 = 0x200;
    /// <summary>IA32_MTRR_FIX64K_00000.</summary>
    public const uint MtrrFix64K00000 = 0x250;
    /// <summary>IA32_MTRR_FIX16K_80000.</summary>
    public const uint MtrrFix16K80000 = 0x258;
    /// <summary>IA32_MTRR_FIX16K_A0000.</summary>
    public const uint MtrrFix16KA0000 = 0x259;
    /// <summary>IA32_MTRR_FIX4K_C0000; the eight 4K fixed-range MTRRs occupy 0x268–0x26F.</summary>
    public const uint MtrrFix4KC0000 = 0x268;
    /// <summary>IA32_PAT: page attribute table.</summary>
    public const uint Pat = 0x277;
    /// <summary>IA32_MTRR_DEF_TYPE.</summary>
    public const uint MtrrDefType = 0x2FF;
    /// <summary>First x2APIC register MSR (0x800 + MMIO offset / 16); the range ends at <see cref="X2ApicLast"/>.</summary>
    public const uint X2ApicFirst = 0x800;
    /// <summary>Last x2APIC register MSR.</summary>
    public const uint X2ApicLast = 0x8FF;
    /// <summary>IA32_EFER: SCE bit 0, LME bit 8, LMA bit 10 (read-only), NXE bit 11.</summary>
    public const uint Efer = 0xC000_0080;
    /// <summary>IA32_STAR: SYSCALL CS/SS in bits 47:32, SYSRET CS/SS base in bits 63:48.</summary>
    public const uint Star = 0xC000_0081;
    /// <summary>IA32_LSTAR: the 64-bit SYSCALL entry point.</summary>
    public const uint Lstar = 0xC000_0082;
    /// <summary>IA32_CSTAR: the compatibility-mode SYSCALL entry point (stored; Intel CPUs never use it).</summary>
    public const uint Cstar = 0xC000_0083;
    /// <summary>IA32_FMASK: RFLAGS bits cleared by SYSCALL.</summary>
    public const uint Fmask = 0xC000_0084;
    /// <summary>IA32_FS_BASE: the FS segment base (the same storage as FS's descriptor cache base).</summary>
    public const uint FsBase = 0xC000_0100;
    /// <summary>IA32_GS_BASE: the GS segment base (the same storage as GS's descriptor cache base).</summary>
    public const uint GsBase = 0xC000_0101;
    /// <summary>IA32_KERNEL_GS_BASE: the value SWAPGS exchanges with the GS base.</summary>
    public const uint KernelGsBase = 0xC000_0102;
    /// <summary>IA32_TSC_AUX: returned in ECX by RDTSCP.</summary>
    public const uint TscAux = 0xC000_0103;

    /// <summary>IA32_EFER.SCE: SYSCALL/SYSRET enable.</summary>
    public const ulong EferSce = 1UL << 0;
    /// <summary>IA32_EFER.LME: IA-32e mode enable.</summary>
    public const ulong EferLme = 1UL << 8;
    /// <summary>IA32_EFER.LMA: IA-32e mode active (read-only, set by MOV to CR0).</summary>
    public const ulong EferLma = 1UL << 10;
    /// <summary>IA32_EFER.NXE: execute-disable enable.</summary>
    public const ulong EferNxe = 1UL << 11;

    /// <summary>IA32_MISC_ENABLE[0]: fast-string operation.</summary>
    public const ulong MiscEnableFastStrings = 1UL << 0;
    /// <summary>IA32_MISC_ENABLE[7] (read-only): performance monitoring available (0 here: CPUID.0AH reports none).</summary>
    public const ulong MiscEnablePerfMon = 1UL << 7;
    /// <summary>IA32_MISC_ENABLE[11] (read-only): branch trace storage unavailable.</summary>
    public const ulong MiscEnableBtsUnavailable = 1UL << 11;
    /// <summary>IA32_MISC_ENABLE[12] (read-only): processor event-based sampling unavailable.</summary>
    public const ulong MiscEnablePebsUnavailable = 1UL << 12;
    /// <summary>IA32_MISC_ENABLE[22]: limit CPUID's highest basic leaf to 2.</summary>
    public const ulong MiscEnableLimitCpuidMaxval = 1UL << 22;
    /// <summary>IA32_MISC_ENABLE[34]: execute-disable disabled (CPUID.80000001H:EDX.NX reads 0, EFER.NXE cannot be set).</summary>
    public const ulong MiscEnableXdDisable = 1UL << 34;

    /// <summary>IA32_APIC_BASE.BSP (read-only).</summary>
    public const ulong ApicBaseBsp = 1UL << 8;
    /// <summary>IA32_APIC_BASE.EXTD: x2APIC mode.</summary>
    public const ulong ApicBaseExtd = 1UL << 10;
    /// <summary>IA32_APIC_BASE.EN: the local APIC is enabled.</summary>
    public const ulong ApicBaseEnable = 1UL << 11;
    /// <summary>The architectural reset value of the APIC base address (fact sheet D7).</summary>
    public const ulong DefaultApicBase = 0xFEE0_0000;
}
