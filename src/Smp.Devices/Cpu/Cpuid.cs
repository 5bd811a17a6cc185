using System.Globalization;

namespace Smp.Devices.Cpu;

/// <summary>
/// CPUID (SDM Vol. 2A "CPUID—CPU Identification") of the modelled processor: a 10th-generation Intel Core
/// of the Ice Lake client family (family 6, model 7EH, stepping 5, signature 000706E5H), with its cache
/// hierarchy and topology, reporting only what this simulator implements: the integer, system and paging
/// features, the x87 FPU, MMX, SSE to SSE4.2, FXSAVE and XSAVE (x87 and SSE state). A feature the real part has
/// and the simulator lacks (AVX and later vector sets, AES, VMX, SGX, PKU, PCID, MONITOR/MWAIT, TSX,
/// performance monitoring, thermal and power management) is absent, so that every bit tells the truth
/// and CR4's writable bits (<see cref="Cr4Supported"/>) follow it.
/// </summary>
/// <remarks>
/// Dynamic bits follow the processor state as on hardware: APIC (IA32_APIC_BASE.EN), the leaf limit and
/// execute-disable (IA32_MISC_ENABLE bits 22 and 34), TSC-deadline (a local APIC is attached), HTT and the
/// topology leaves (<see cref="CpuCore.CoresPerPackage"/>). Leaf 0DH (XSAVE) and OSXSAVE come from the SIMD
/// families (Simd/Cpuid.Simd.cs, through <see cref="QueryXsaveLeaf"/> and <see cref="AdjustLeaf1"/>).
/// </remarks>
public static partial class Cpuid
{
    /// <summary>The family (6), model (7EH, Ice Lake client) and stepping (5) of the modelled processor.</summary>
    public const uint Family = 6, Model = 0x7E, Stepping = 5;

    /// <summary>CPUID.01H:EAX (and EDX after RESET): stepping, model, family, extended model (SDM Vol. 2A Figure 3-6).</summary>
    public const uint Signature = Stepping | ((Model & 0xF) << 4) | (Family << 8) | ((Model >> 4) << 16);

    /// <summary>Highest basic leaf (16H: processor frequency).</summary>
    public const uint MaxBasicLeaf = 0x16;

    /// <summary>Highest extended leaf (80000008H: address sizes).</summary>
    public const uint MaxExtendedLeaf = 0x8000_0008;

    /// <summary>The reference clock the local APIC timer counts (1 GHz: one tick per simulated nanosecond), reported by leaf 15H.</summary>
    public const ulong CrystalHz = 1_000_000_000;

    /// <summary>The bus clock in MHz (leaf 16H, MSR_PLATFORM_INFO ratios).</summary>
    public const uint BusMHz = 100;

    // ---- CPUID.01H:EDX ----
    /// <summary>EDX[0] FPU: the x87 floating-point unit on chip.</summary>
    public const uint EdxFpu = 1u << 0;
    /// <summary>EDX[2] DE: debugging extensions (CR4.DE, DR4/DR5 #UD).</summary>
    public const uint EdxDe = 1u << 2;
    /// <summary>EDX[3] PSE: 4 MiB pages.</summary>
    public const uint EdxPse = 1u << 3;
    /// <summary>EDX[4] TSC: RDTSC and CR4.TSD.</summary>
    public const uint EdxTsc = 1u << 4;
    /// <summary>EDX[5] MSR: RDMSR/WRMSR.</summary>
    public const uint EdxMsr = 1u << 5;
    /// <summary>EDX[6] PAE.</summary>
    public const uint EdxPae = 1u << 6;
    /// <summary>EDX[7] MCE: CR4.MCE and the #MC exception (no machine check is ever signalled).</summary>
    public const uint EdxMce = 1u << 7;
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
    /// <summary>EDX[14] MCA: IA32_MCG_CAP and the machine-check banks (CpuCore.Msr.MachineCheck.cs).</summary>
    public const uint EdxMca = 1u << 14;
    /// <summary>EDX[15] CMOV.</summary>
    public const uint EdxCmov = 1u << 15;
    /// <summary>EDX[16] PAT.</summary>
    public const uint EdxPat = 1u << 16;
    /// <summary>EDX[17] PSE-36: 4 MiB pages above 4 GiB.</summary>
    public const uint EdxPse36 = 1u << 17;
    /// <summary>EDX[19] CLFSH: CLFLUSH.</summary>
    public const uint EdxClfsh = 1u << 19;
    /// <summary>EDX[23] MMX.</summary>
    public const uint EdxMmx = 1u << 23;
    /// <summary>EDX[24] FXSR: FXSAVE/FXRSTOR and CR4.OSFXSR.</summary>
    public const uint EdxFxsr = 1u << 24;
    /// <summary>EDX[25] SSE.</summary>
    public const uint EdxSse = 1u << 25;
    /// <summary>EDX[26] SSE2.</summary>
    public const uint EdxSse2 = 1u << 26;
    /// <summary>EDX[27] SS: self snoop. Memory has no caches to snoop, so every access is coherent.</summary>
    public const uint EdxSs = 1u << 27;
    /// <summary>EDX[28] HTT: EBX[23:16] is meaningful (more than one logical processor per package).</summary>
    public const uint EdxHtt = 1u << 28;

    /// <summary>The CPUID.01H:EDX features implemented (VME, PSN, DS, ACPI, TM, PBE are not).</summary>
    public const uint Leaf1Edx = EdxFpu | EdxDe | EdxPse | EdxTsc | EdxMsr | EdxPae | EdxMce | EdxCx8 | EdxApic | EdxSep | EdxMtrr
        | EdxPge | EdxMca | EdxCmov | EdxPat | EdxPse36 | EdxClfsh | EdxMmx | EdxFxsr | EdxSse | EdxSse2 | EdxSs;

    // ---- CPUID.01H:ECX ----
    /// <summary>ECX[13] CMPXCHG16B.</summary>
    public const uint EcxCx16 = 1u << 13;
    /// <summary>ECX[20] SSE4.2, which also enumerates CRC32.</summary>
    public const uint EcxSse42 = 1u << 20;
    /// <summary>ECX[21] x2APIC.</summary>
    public const uint EcxX2Apic = 1u << 21;
    /// <summary>ECX[22] MOVBE.</summary>
    public const uint EcxMovbe = 1u << 22;
    /// <summary>ECX[23] POPCNT.</summary>
    public const uint EcxPopcnt = 1u << 23;
    /// <summary>ECX[24] TSC-deadline timer (reported only with a local APIC attached).</summary>
    public const uint EcxTscDeadline = 1u << 24;
    /// <summary>ECX[30] RDRAND.</summary>
    public const uint EcxRdrand = 1u << 30;

    /// <summary>The CPUID.01H:ECX features implemented (no MONITOR, VMX, PCID, AES, PCLMULQDQ, AVX, F16C, FMA).</summary>
    public const uint Leaf1Ecx = EcxSse3 | EcxSsse3 | EcxCx16 | EcxSse41 | EcxSse42 | EcxX2Apic | EcxMovbe | EcxPopcnt | EcxXsave
        | EcxRdrand;

    // ---- CPUID.(EAX=07H, ECX=0) ----
    /// <summary>EBX[0] FSGSBASE: RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE and CR4.FSGSBASE.</summary>
    public const uint Leaf7EbxFsgsbase = 1u << 0;
    /// <summary>EBX[1] IA32_TSC_ADJUST.</summary>
    public const uint Leaf7EbxTscAdjust = 1u << 1;
    /// <summary>EBX[3] BMI1: ANDN, BEXTR, BLSI, BLSMSK, BLSR, TZCNT.</summary>
    public const uint Leaf7EbxBmi1 = 1u << 3;
    /// <summary>EBX[7] SMEP: supervisor-mode execution prevention (CR4.SMEP).</summary>
    public const uint Leaf7EbxSmep = 1u << 7;
    /// <summary>EBX[8] BMI2: BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX.</summary>
    public const uint Leaf7EbxBmi2 = 1u << 8;
    /// <summary>EBX[9] ERMS: enhanced REP MOVSB/STOSB (the string instructions already move whole runs at once).</summary>
    public const uint Leaf7EbxErms = 1u << 9;
    /// <summary>EBX[18] RDSEED.</summary>
    public const uint Leaf7EbxRdseed = 1u << 18;
    /// <summary>EBX[19] ADX: ADCX, ADOX.</summary>
    public const uint Leaf7EbxAdx = 1u << 19;
    /// <summary>EBX[20] SMAP: supervisor-mode access prevention (CR4.SMAP, STAC, CLAC).</summary>
    public const uint Leaf7EbxSmap = 1u << 20;
    /// <summary>EBX[23] CLFLUSHOPT.</summary>
    public const uint Leaf7EbxClflushopt = 1u << 23;
    /// <summary>EBX[24] CLWB.</summary>
    public const uint Leaf7EbxClwb = 1u << 24;

    /// <summary>The CPUID.(07H,0):EBX features implemented (no SGX, AVX2, HLE/RTM, INVPCID, MPX, AVX-512, SHA, PT).</summary>
    public const uint Leaf7Ebx = Leaf7EbxFsgsbase | Leaf7EbxTscAdjust | Leaf7EbxBmi1 | Leaf7EbxSmep | Leaf7EbxBmi2
        | Leaf7EbxErms | Leaf7EbxRdseed | Leaf7EbxAdx | Leaf7EbxSmap | Leaf7EbxClflushopt | Leaf7EbxClwb;

    /// <summary>ECX[2] UMIP: user-mode instruction prevention (CR4.UMIP).</summary>
    public const uint Leaf7EcxUmip = 1u << 2;
    /// <summary>ECX[22] RDPID.</summary>
    public const uint Leaf7EcxRdpid = 1u << 22;

    /// <summary>The CPUID.(07H,0):ECX features implemented (no PKU, VBMI, GFNI, VAES, VPCLMULQDQ, LA57).</summary>
    public const uint Leaf7Ecx = Leaf7EcxUmip | Leaf7EcxRdpid;

    /// <summary>EDX[4] FSRM: fast short REP MOVSB (a performance hint that holds here).</summary>
    public const uint Leaf7EdxFsrm = 1u << 4;
    /// <summary>EDX[29] IA32_ARCH_CAPABILITIES.</summary>
    public const uint Leaf7EdxArchCapabilities = 1u << 29;

    /// <summary>
    /// The CPUID.(07H,0):EDX features implemented. IBRS/IBPB (SPEC_CTRL), STIBP, L1D_FLUSH and SSBD are not
    /// offered, so IA32_SPEC_CTRL, IA32_PRED_CMD and IA32_FLUSH_CMD do not exist.
    /// </summary>
    public const uint Leaf7Edx = Leaf7EdxFsrm | Leaf7EdxArchCapabilities;

    // ---- CPUID.80000001H ----
    /// <summary>EDX[11] SYSCALL/SYSRET in 64-bit mode.</summary>
    public const uint ExtEdxSyscall = 1u << 11;
    /// <summary>EDX[20] execute-disable (EFER.NXE).</summary>
    public const uint ExtEdxNx = 1u << 20;
    /// <summary>EDX[26] 1-GiB pages.</summary>
    public const uint ExtEdxPage1Gb = 1u << 26;
    /// <summary>EDX[27] RDTSCP and IA32_TSC_AUX.</summary>
    public const uint ExtEdxRdtscp = 1u << 27;
    /// <summary>EDX[29] Intel 64 (long mode).</summary>
    public const uint ExtEdxLm = 1u << 29;
    /// <summary>ECX[0] LAHF/SAHF in 64-bit mode.</summary>
    public const uint ExtEcxLahfSahf = 1u << 0;
    /// <summary>ECX[5] LZCNT.</summary>
    public const uint ExtEcxLzcnt = 1u << 5;
    /// <summary>ECX[8] PREFETCHW.</summary>
    public const uint ExtEcxPrefetchw = 1u << 8;

    /// <summary>The CPUID.80000001H:EDX features implemented.</summary>
    public const uint ExtLeafEdx = ExtEdxSyscall | ExtEdxNx | ExtEdxPage1Gb | ExtEdxRdtscp | ExtEdxLm;

    /// <summary>The CPUID.80000001H:ECX features implemented.</summary>
    public const uint ExtLeafEcx = ExtEcxLahfSahf | ExtEcxLzcnt | ExtEcxPrefetchw;

    /// <summary>CPUID.80000007H:EDX[8]: the TSC runs at a constant rate in every state (it counts simulated cycles).</summary>
    public const uint InvariantTsc = 1u << 8;

    /// <summary>CPUID.06H:EAX[2] ARAT: the APIC timer keeps running in every idle state (there are no C-states).</summary>
    public const uint Arat = 1u << 2;

    /// <summary>
    /// The CR4 bits MOV to CR4 accepts (others raise #GP), following the features above: TSD, DE, PSE, PAE,
    /// MCE, PGE, PCE, OSFXSR, OSXMMEXCPT, UMIP, FSGSBASE, OSXSAVE, SMEP, SMAP. VME, PVI, LA57, VMXE, SMXE,
    /// PCIDE, PKE and CET are not offered.
    /// </summary>
    public const ulong Cr4Supported = CpuCore.Cr4Tsd | CpuCore.Cr4De | CpuCore.Cr4Pse | CpuCore.Cr4Pae | CpuCore.Cr4Mce
        | CpuCore.Cr4Pge | CpuCore.Cr4Pce | CpuCore.Cr4Osfxsr | CpuCore.Cr4Osxmmexcpt | CpuCore.Cr4Umip | CpuCore.Cr4Fsgsbase
        | CpuCore.Cr4Osxsave | CpuCore.Cr4Smep | CpuCore.Cr4Smap;

    /// <summary>True when CPUID reports SSE4.2, which enumerates CRC32 too (SDM Vol. 2A CRC32).</summary>
    internal static readonly bool HasCrc32 = (Leaf1Ecx & EcxSse42) != 0;

    /// <summary>
    /// Executes CPUID for <paramref name="cpu"/> with EAX = <paramref name="leaf"/> and ECX = <paramref name="subleaf"/>.
    /// A leaf above the highest basic or extended leaf returns the highest basic leaf's data (SDM Vol. 2A, CPUID).
    /// </summary>
    public static void Query(CpuCore cpu, uint leaf, uint subleaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        // IA32_MISC_ENABLE[22] (limit CPUID maxval) caps the basic leaves at 2 (SDM Vol. 4 Table 2-2).
        uint maxBasic = (cpu.MiscEnable & Msr.MiscEnableLimitCpuidMaxval) != 0 ? 2 : MaxBasicLeaf;
        if (leaf >= 0x8000_0000 ? leaf > MaxExtendedLeaf : leaf > maxBasic) leaf = maxBasic;
        eax = ebx = ecx = edx = 0;
        uint apicId = (uint)cpu.ApicId;
        int cores = cpu.CoresPerPackage < 1 ? 1 : cpu.CoresPerPackage;
        int coreBits = 0;
        while ((1 << coreBits) < cores) coreBits++;
        switch (leaf)
        {
            case 0:
                eax = maxBasic;
                ebx = 0x756E_6547; // "Genu"
                edx = 0x4965_6E69; // "ineI"
                ecx = 0x6C65_746E; // "ntel"
                break;
            case 1:
                eax = Signature;
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
                // One iteration; descriptor FFH: "no cache descriptors here, use leaf 4" (SDM Vol. 2A Table 3-12).
                eax = 0x0000_FF01;
                break;
            case 4:
                CacheParameters(subleaf, coreBits, out eax, out ebx, out ecx, out edx);
                break;
            case 6:
                eax = Arat;
                break;
            case 7 when subleaf == 0:
                ebx = Leaf7Ebx;
                ecx = Leaf7Ecx;
                edx = Leaf7Edx;
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
            case 0x15:
                // TSC = crystal × EBX / EAX: the TSC's frequency exactly, against the APIC timer's clock.
                ulong gcd = Gcd((ulong)cpu.FrequencyHz, CrystalHz);
                eax = (uint)(CrystalHz / gcd);
                ebx = (uint)((ulong)cpu.FrequencyHz / gcd);
                ecx = (uint)CrystalHz;
                break;
            case 0x16:
                // Base and maximum frequency and the bus (reference) clock, in MHz; MSR_PLATFORM_INFO's ratios use the same 100 MHz bus.
                eax = ebx = (uint)(cpu.FrequencyHz / 1_000_000);
                ecx = BusMHz;
                break;
            case 0x8000_0000:
                eax = MaxExtendedLeaf;
                break;
            case 0x8000_0001:
                ecx = ExtLeafEcx;
                edx = ExtLeafEdx;
                // IA32_MISC_ENABLE[34] (XD bit disable) hides execute-disable (SDM Vol. 4 Table 2-2).
                if ((cpu.MiscEnable & Msr.MiscEnableXdDisable) != 0) edx &= ~ExtEdxNx;
                break;
            case 0x8000_0002:
            case 0x8000_0003:
            case 0x8000_0004:
                int offset = (int)(leaf - 0x8000_0002) * 16;
                string brand = BrandString(cpu.FrequencyHz);
                eax = BrandDword(brand, offset);
                ebx = BrandDword(brand, offset + 4);
                ecx = BrandDword(brand, offset + 8);
                edx = BrandDword(brand, offset + 12);
                break;
            case 0x8000_0006:
                // L2: 64-byte lines, 8-way (encoding 6), 512 KiB (SDM Vol. 2A CPUID leaf 80000006H).
                ecx = 64u | (6u << 12) | (512u << 16);
                break;
            case 0x8000_0007:
                edx = InvariantTsc;
                break;
            case 0x8000_0008:
                eax = (48u << 8) | (uint)CpuCore.MaxPhysAddrBits; // linear 48 bits, physical 39 bits
                break;
        }
    }

    /// <summary>The extended-state family's leaf 0DH (XSAVE components and sizes).</summary>
    static partial void QueryXsaveLeaf(CpuCore cpu, uint subleaf, ref uint eax, ref uint ebx, ref uint ecx, ref uint edx);

    /// <summary>Dynamic CPUID.01H bits of the SIMD families (OSXSAVE mirrors CR4.OSXSAVE).</summary>
    static partial void AdjustLeaf1(CpuCore cpu, ref uint ecx, ref uint edx);

    /// <summary>The brand string of leaves 80000002H–80000004H for a core clocked at <paramref name="frequencyHz"/>.</summary>
    public static string BrandString(long frequencyHz)
    {
        // CPUID may sit in a guest's loop: the string is built once per frequency, not per query.
        var cached = _brand;
        if (cached is not null && cached.Frequency == frequencyHz) return cached.Text;
        string text = string.Create(CultureInfo.InvariantCulture, $"Smp virtual Intel Core (Ice Lake) @ {frequencyHz / 1e9:0.00}GHz");
        _brand = new BrandCache(frequencyHz, text);
        return text;
    }

    private sealed record BrandCache(long Frequency, string Text);

    private static BrandCache? _brand;

    // Deterministic cache parameters of the Ice Lake client core (SDM Vol. 2A CPUID leaf 04H): L1d 48 KiB
    // 12-way, L1i 32 KiB 8-way, L2 512 KiB 8-way (per core), L3 8 MiB 16-way inclusive, complex indexing
    // (shared by the package). Every cache has 64-byte lines and one partition; sets = size / (ways × 64).
    private static void CacheParameters(uint index, int coreBits, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        eax = ebx = ecx = edx = 0;
        (uint type, uint level, uint ways, uint kib) = index switch
        {
            0 => (1u, 1u, 12u, 48u),
            1 => (2u, 1u, 8u, 32u),
            2 => (3u, 2u, 8u, 512u),
            3 => (3u, 3u, 16u, 8192u),
            _ => (0u, 0u, 0u, 0u),
        };
        if (type == 0) return; // no more caches
        uint sharing = level == 3 ? (1u << coreBits) - 1 : 0; // logical processors sharing it − 1 (one thread per core)
        eax = type | (level << 5) | (1u << 8) | (sharing << 14) | ((uint)((1 << coreBits) - 1) << 26);
        ebx = 63u | ((ways - 1) << 22);
        ecx = kib * 1024 / (ways * 64) - 1;
        edx = level == 3 ? 0b110u : 0; // L3: inclusive, complex indexing
    }

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a == 0 ? 1 : a;
    }

    private static uint BrandDword(string brand, int offset)
    {
        uint v = 0;
        for (int i = 0; i < 4; i++)
        {
            int k = offset + i;
            uint ch = k < brand.Length ? brand[k] : 0u;
            v |= ch << (8 * i);
        }
        return v;
    }
}
