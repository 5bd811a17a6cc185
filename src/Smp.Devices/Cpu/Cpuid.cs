namespace Smp.Devices.Cpu;

/// <summary>
/// CPUID (SDM Vol. 2A "CPUID—CPU Identification"). The feature bits describe exactly what this
/// simulator implements: integer, system and paging features, the local APIC (xAPIC and x2APIC),
/// SYSCALL/SYSENTER, the TSC, the x87 FPU, MMX, SSE to SSE4.2, FXSAVE and XSAVE (x87 and SSE state). There is
/// no AVX. Adjust the constants below
/// when an instruction group is added (and CR4's writable bits follow <see cref="Cr4Supported"/>).
/// </summary>
public static partial class Cpuid
{
    /// <summary>Highest basic leaf (0xD: XSAVE state enumeration).</summary>
    public const uint MaxBasicLeaf = 0xD;

    /// <summary>Highest extended leaf (0x80000008: address sizes).</summary>
    public const uint MaxExtendedLeaf = 0x8000_0008;

    /// <summary>The brand string of leaves 0x80000002–0x80000004.</summary>
    public const string BrandString = "Smp Virtual CPU";

    // ---- CPUID.01H:EDX bits ----
    /// <summary>EDX[0] FPU: the x87 floating-point unit on chip.</summary>
    public const uint EdxFpu = 1u << 0;
    /// <summary>EDX[2] DE: debugging extensions (CR4.DE, DR4/DR5 #UD). I/O breakpoints depend on the debug machinery.</summary>
    public const uint EdxDe = 1u << 2;
    /// <summary>EDX[3] PSE: 4 MiB pages.</summary>
    public const uint EdxPse = 1u << 3;
    /// <summary>EDX[4] TSC: RDTSC and CR4.TSD.</summary>
    public const uint EdxTsc = 1u << 4;
    /// <summary>EDX[5] MSR: RDMSR/WRMSR.</summary>
    public const uint EdxMsr = 1u << 5;
    /// <summary>EDX[6] PAE.</summary>
    public const uint EdxPae = 1u << 6;
    /// <summary>EDX[8] CX8: CMPXCHG8B.</summary>
    public const uint EdxCx8 = 1u << 8;
    /// <summary>EDX[9] APIC: on-chip APIC (reported only while IA32_APIC_BASE.EN = 1).</summary>
    public const uint EdxApic = 1u << 9;
    /// <summary>EDX[11] SEP: SYSENTER/SYSEXIT.</summary>
    public const uint EdxSep = 1u << 11;
    /// <summary>EDX[12] MTRR: the MTRR MSRs (stored, without effect on memory).</summary>
    public const uint EdxMtrr = 1u << 12;
    /// <summary>EDX[13] PGE: global pages (CR4.PGE).</summary>
    public const uint EdxPge = 1u << 13;
    /// <summary>EDX[15] CMOV.</summary>
    public const uint EdxCmov = 1u << 15;
    /// <summary>EDX[16] PAT.</summary>
    public const uint EdxPat = 1u << 16;
    /// <summary>EDX[17] PSE-36: 4 MiB pages above 4 GiB.</summary>
    public const uint EdxPse36 = 1u << 17;
    /// <summary>EDX[19] CLFSH: CLFLUSH.</summary>
    public const uint EdxClfsh = 1u << 19;
    /// <summary>EDX[28] HTT: EBX[23:16] is meaningful (more than one logical processor per package).</summary>
    public const uint EdxHtt = 1u << 28;
    /// <summary>EDX[23] MMX, [24] FXSR (FXSAVE/FXRSTOR, CR4.OSFXSR), [25] SSE, [26] SSE2.</summary>
    public const uint EdxMmx = 1u << 23, EdxFxsr = 1u << 24, EdxSse = 1u << 25, EdxSse2 = 1u << 26;

    /// <summary>The CPUID.01H:EDX features implemented (VME, MCE, MCA are not).</summary>
    public const uint Leaf1Edx = EdxFpu | EdxDe | EdxPse | EdxTsc | EdxMsr | EdxPae | EdxCx8 | EdxApic | EdxSep | EdxMtrr
        | EdxPge | EdxCmov | EdxPat | EdxPse36 | EdxClfsh | EdxMmx | EdxFxsr | EdxSse | EdxSse2;

    // ---- CPUID.01H:ECX bits ----
    /// <summary>ECX[13] CMPXCHG16B.</summary>
    public const uint EcxCx16 = 1u << 13;
    /// <summary>ECX[21] x2APIC.</summary>
    public const uint EcxX2Apic = 1u << 21;

    /// <summary>CPUID.01H:ECX[24]: the local APIC timer has TSC-deadline mode (reported only with a local APIC attached).</summary>
    public const uint EcxTscDeadline = 1u << 24;
    /// <summary>ECX[23] POPCNT.</summary>
    public const uint EcxPopcnt = 1u << 23;
    /// <summary>ECX[20] SSE4.2.</summary>
    public const uint EcxSse42 = 1u << 20;

    /// <summary>
    /// The CPUID.01H:ECX features implemented: x2APIC, SSE3, SSSE3, SSE4.1, SSE4.2 and XSAVE. CX16 and POPCNT are left
    /// out until the integer-instruction families implement CMPXCHG16B and POPCNT; no AVX.
    /// </summary>
    public const uint Leaf1Ecx = EcxX2Apic | EcxSse3 | EcxSsse3 | EcxSse41 | EcxSse42 | EcxXsave;

    // ---- CPUID.80000001H ----
    /// <summary>EDX[11] SYSCALL/SYSRET in 64-bit mode.</summary>
    public const uint ExtEdxSyscall = 1u << 11;
    /// <summary>EDX[20] execute-disable (EFER.NXE).</summary>
    public const uint ExtEdxNx = 1u << 20;
    /// <summary>EDX[27] RDTSCP and IA32_TSC_AUX.</summary>
    public const uint ExtEdxRdtscp = 1u << 27;
    /// <summary>EDX[29] Intel 64 (long mode).</summary>
    public const uint ExtEdxLm = 1u << 29;
    /// <summary>ECX[0] LAHF/SAHF in 64-bit mode.</summary>
    public const uint ExtEcxLahfSahf = 1u << 0;

    /// <summary>The CPUID.80000001H:EDX features implemented (no 1 GiB pages).</summary>
    public const uint ExtLeafEdx = ExtEdxSyscall | ExtEdxNx | ExtEdxRdtscp | ExtEdxLm;

    /// <summary>The CPUID.80000001H:ECX features implemented.</summary>
    public const uint ExtLeafEcx = ExtEcxLahfSahf;

    /// <summary>
    /// The CR4 bits MOV to CR4 accepts (others raise #GP): TSD, DE, PSE, PAE, PGE, OSFXSR, OSXMMEXCPT, OSXSAVE,
    /// following the features above. VME, PVI, MCE, PCE, UMIP, LA57, FSGSBASE, PCIDE, SMEP, SMAP are not offered.
    /// </summary>
    public const ulong Cr4Supported = CpuCore.Cr4Tsd | CpuCore.Cr4De | CpuCore.Cr4Pse | CpuCore.Cr4Pae | CpuCore.Cr4Pge
        | CpuCore.Cr4Osfxsr | CpuCore.Cr4Osxmmexcpt | CpuCore.Cr4Osxsave;

    /// <summary>
    /// Executes CPUID for <paramref name="cpu"/> with EAX = <paramref name="leaf"/> and ECX = <paramref name="subleaf"/>.
    /// A leaf above the highest basic or extended leaf returns the highest basic leaf's data (SDM Vol. 2A, CPUID).
    /// </summary>
    public static void Query(CpuCore cpu, uint leaf, uint subleaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        if (leaf >= 0x8000_0000 ? leaf > MaxExtendedLeaf : leaf > MaxBasicLeaf) leaf = MaxBasicLeaf;
        eax = ebx = ecx = edx = 0;
        uint apicId = (uint)cpu.ApicId;
        int cores = cpu.CoresPerPackage < 1 ? 1 : cpu.CoresPerPackage;
        int coreBits = 0;
        while ((1 << coreBits) < cores) coreBits++;
        switch (leaf)
        {
            case 0:
                eax = MaxBasicLeaf;
                ebx = 0x756E_6547; // "Genu"
                edx = 0x4965_6E69; // "ineI"
                ecx = 0x6C65_746E; // "ntel"
                break;
            case 1:
                eax = CpuCore.CpuidSignature;
                // EBX: brand index 0, CLFLUSH line size 8 × 8 = 64 bytes, addressable logical processor IDs, initial APIC ID.
                ebx = (8u << 8) | ((uint)(1 << coreBits) << 16) | ((apicId & 0xFF) << 24);
                ecx = Leaf1Ecx | (cpu.LocalApicRegisters is not null ? EcxTscDeadline : 0);
                edx = Leaf1Edx;
                if (cores > 1) edx |= EdxHtt;
                // The APIC flag follows IA32_APIC_BASE.EN (SDM Vol. 3A §10.4.3).
                if ((cpu.ApicBaseMsr & Msr.ApicBaseEnable) == 0) edx &= ~EdxApic;
                AdjustLeaf1(cpu, ref ecx, ref edx);
                break;
            case 2:
                eax = 1; // one iteration, no descriptors (cache data via leaf 4 is not reported either)
                break;
            case 4:
                // No deterministic cache parameters (cache type 0 = no more caches); EAX[31:26] = cores per package − 1.
                eax = (uint)((1 << coreBits) - 1) << 26;
                break;
            case 0xB:
                // x2APIC topology: one thread per core (SMT shift 0), CoresPerPackage cores per package.
                edx = apicId;
                ecx = subleaf & 0xFF;
                if (subleaf == 0) { eax = 0; ebx = 1; ecx |= 1u << 8; }
                else if (subleaf == 1) { eax = (uint)coreBits; ebx = (uint)cores; ecx |= 2u << 8; }
                break;
            case 0xD:
                QueryXsaveLeaf(cpu, subleaf, ref eax, ref ebx, ref ecx, ref edx);
                break;
            case 0x8000_0000:
                eax = MaxExtendedLeaf;
                break;
            case 0x8000_0001:
                ecx = ExtLeafEcx;
                edx = ExtLeafEdx;
                break;
            case 0x8000_0002:
            case 0x8000_0003:
            case 0x8000_0004:
                int offset = (int)(leaf - 0x8000_0002) * 16;
                eax = BrandDword(offset);
                ebx = BrandDword(offset + 4);
                ecx = BrandDword(offset + 8);
                edx = BrandDword(offset + 12);
                break;
            case 0x8000_0008:
                eax = (48u << 8) | (uint)CpuCore.MaxPhysAddrBits; // linear 48 bits, physical 40 bits
                break;
        }
    }

    /// <summary>The extended-state family's leaf 0DH (XSAVE components and sizes).</summary>
    static partial void QueryXsaveLeaf(CpuCore cpu, uint subleaf, ref uint eax, ref uint ebx, ref uint ecx, ref uint edx);

    /// <summary>Dynamic CPUID.01H bits of the SIMD families (OSXSAVE mirrors CR4.OSXSAVE).</summary>
    static partial void AdjustLeaf1(CpuCore cpu, ref uint ecx, ref uint edx);

    private static uint BrandDword(int offset)
    {
        uint v = 0;
        for (int i = 0; i < 4; i++)
        {
            int k = offset + i;
            uint ch = k < BrandString.Length ? BrandString[k] : 0u;
            v |= ch << (8 * i);
        }
        return v;
    }
}
