namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// The bits of MXCSR (SDM Vol. 1 §10.2.3, Figure 10-3): six sticky exception flags, DAZ, six exception
/// masks, the rounding control and FTZ. Bits 31:16 are reserved: writing 1 to them with LDMXCSR, FXRSTOR or
/// XRSTOR raises #GP(0).
/// </summary>
internal static class Mxcsr
{
    /// <summary>Invalid-operation flag (IE).</summary>
    public const uint IE = 1 << 0;
    /// <summary>Denormal-operand flag (DE).</summary>
    public const uint DE = 1 << 1;
    /// <summary>Divide-by-zero flag (ZE).</summary>
    public const uint ZE = 1 << 2;
    /// <summary>Overflow flag (OE).</summary>
    public const uint OE = 1 << 3;
    /// <summary>Underflow flag (UE).</summary>
    public const uint UE = 1 << 4;
    /// <summary>Precision (inexact) flag (PE).</summary>
    public const uint PE = 1 << 5;
    /// <summary>Denormals-are-zeros: denormal source operands read as zeros of the same sign.</summary>
    public const uint Daz = 1 << 6;
    /// <summary>The six exception masks start here: mask bit = flag bit &lt;&lt; 7.</summary>
    public const int MaskShift = 7;
    /// <summary>Invalid-operation mask.</summary>
    public const uint IM = IE << MaskShift;
    /// <summary>Denormal mask.</summary>
    public const uint DM = DE << MaskShift;
    /// <summary>Divide-by-zero mask.</summary>
    public const uint ZM = ZE << MaskShift;
    /// <summary>Overflow mask.</summary>
    public const uint OM = OE << MaskShift;
    /// <summary>Underflow mask.</summary>
    public const uint UM = UE << MaskShift;
    /// <summary>Precision mask.</summary>
    public const uint PM = PE << MaskShift;
    /// <summary>Rounding control, bits 14:13.</summary>
    public const int RcShift = 13;
    /// <summary>Flush-to-zero: masked underflow returns a zero of the result's sign.</summary>
    public const uint Ftz = 1 << 15;

    /// <summary>All six exception flags.</summary>
    public const uint Flags = IE | DE | ZE | OE | UE | PE;
    /// <summary>The pre-computation exceptions (SDM Vol. 1 §11.5.1): detected before any result is computed.</summary>
    public const uint PreComputation = IE | DE | ZE;

    /// <summary>
    /// MXCSR_MASK as FXSAVE stores it: every defined bit, DAZ included, is writable (SDM Vol. 1 §11.6.6;
    /// Intel processors since the Pentium 4 report FFFFh).
    /// </summary>
    public const uint WritableMask = 0xFFFF;

    /// <summary>MXCSR after power-up or RESET (SDM Vol. 3A Table 9-1) and in XSAVE's initial configuration.</summary>
    public const uint Default = 0x1F80;

    /// <summary>Round to nearest (even).</summary>
    public const int RoundNearest = 0;
    /// <summary>Round down (toward −∞).</summary>
    public const int RoundDown = 1;
    /// <summary>Round up (toward +∞).</summary>
    public const int RoundUp = 2;
    /// <summary>Round toward zero (truncate).</summary>
    public const int RoundZero = 3;
}
