namespace Smp.Devices.Cpu;

// The SIMD families' part of CPUID: the leaf-1 feature bits that only they define, OSXSAVE following CR4, and leaf 0DH.
public static partial class Cpuid
{
    /// <summary>ECX[0] SSE3.</summary>
    public const uint EcxSse3 = 1u << 0;
    /// <summary>ECX[9] SSSE3.</summary>
    public const uint EcxSsse3 = 1u << 9;
    /// <summary>ECX[19] SSE4.1.</summary>
    public const uint EcxSse41 = 1u << 19;
    /// <summary>ECX[26] XSAVE: XSAVE/XRSTOR/XSETBV/XGETBV and CR4.OSXSAVE.</summary>
    public const uint EcxXsave = 1u << 26;
    /// <summary>ECX[27] OSXSAVE: reads CR4.OSXSAVE (SDM Vol. 2A CPUID, Table 3-10).</summary>
    public const uint EcxOsxsave = 1u << 27;

    static partial void QueryXsaveLeaf(CpuCore cpu, uint subleaf, ref uint eax, ref uint ebx, ref uint ecx, ref uint edx) =>
        Simd.XsaveLayout.Cpuid(subleaf, out eax, out ebx, out ecx, out edx);

    static partial void AdjustLeaf1(CpuCore cpu, ref uint ecx, ref uint edx)
    {
        if ((cpu.Cr4 & CpuCore.Cr4Osxsave) != 0) ecx |= EcxOsxsave;
    }
}
