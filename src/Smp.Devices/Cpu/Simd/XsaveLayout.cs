namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// The XSAVE feature set as this processor implements it (SDM Vol. 1 ch. 13): state components 0 (x87) and 1 (SSE),
/// both in the 512-byte legacy region, followed by the 64-byte XSAVE header; XSAVEOPT, XSAVEC (compacted format) and
/// XGETBV with ECX = 1. AVX and the later components are absent, XSAVES/XRSTORS too (no IA32_XSS).
/// </summary>
internal static class XsaveLayout
{
    /// <summary>XCR0 bit 0: x87 state.</summary>
    public const ulong X87 = 1;

    /// <summary>XCR0 bit 1: SSE state (XMM registers and MXCSR).</summary>
    public const ulong Sse = 2;

    /// <summary>The XCR0 bits that may be set (CPUID.(EAX=0DH,ECX=0):EDX:EAX).</summary>
    public const ulong Supported = X87 | Sse;

    /// <summary>Offset of the XSAVE header (XSTATE_BV, then XCOMP_BV).</summary>
    public const int HeaderOffset = 512;

    /// <summary>The size of an XSAVE area holding every supported component: the legacy region and the header.</summary>
    public const int AreaSize = 576;

    /// <summary>XCOMP_BV bit 63: the area is in the compacted format.</summary>
    public const ulong Compacted = 1UL << 63;

    /// <summary>CPUID.(EAX=0DH,ECX=1):EAX bit 0: XSAVEOPT.</summary>
    public const uint Xsaveopt = 1 << 0;

    /// <summary>CPUID.(EAX=0DH,ECX=1):EAX bit 1: XSAVEC and the compacted form of XRSTOR.</summary>
    public const uint Xsavec = 1 << 1;

    /// <summary>CPUID.(EAX=0DH,ECX=1):EAX bit 2: XGETBV with ECX = 1 (XINUSE).</summary>
    public const uint Xgetbv1 = 1 << 2;

    /// <summary>
    /// CPUID leaf 0DH (SDM Vol. 2A CPUID, "Processor Extended State Enumeration"): sub-leaf 0 gives the supported XCR0
    /// bits and the area sizes (for the components XCR0 enables now, and for all; both are 576 here because x87 and SSE
    /// live in the legacy region that every area has), sub-leaf 1 the XSAVE extensions and the compacted size for
    /// XCR0 | IA32_XSS; components 0 and 1 have no sub-leaf of their own, and unsupported components read as zeros.
    /// </summary>
    public static void Cpuid(uint subleaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        eax = ebx = ecx = edx = 0;
        switch (subleaf)
        {
            case 0:
                eax = (uint)Supported;
                ebx = AreaSize;
                ecx = AreaSize;
                break;
            case 1:
                eax = Xsaveopt | Xsavec | Xgetbv1;
                ebx = AreaSize;
                break;
        }
    }
}
