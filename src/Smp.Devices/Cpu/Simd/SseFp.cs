namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// The floating-point environment of one SSE instruction: MXCSR as it was when the instruction started
/// (rounding, DAZ, FTZ, masks) and the exception flags its operations raised. Packed instructions run every
/// element with the same environment, so the flags are the OR over the elements (SDM Vol. 1 §11.5.3.1).
/// </summary>
internal struct SseFp
{
    /// <summary>MXCSR at the start of the instruction.</summary>
    public uint Control;

    /// <summary>Exception flags (MXCSR bits 5:0) detected so far.</summary>
    public uint Flags;

    /// <summary>The rounding mode (MXCSR.RC, or an instruction's immediate override).</summary>
    public int Rounding;

    /// <summary>Denormal source operands read as zero.</summary>
    public readonly bool Daz => (Control & Mxcsr.Daz) != 0;

    /// <summary>Masked underflow returns zero.</summary>
    public readonly bool Ftz => (Control & Mxcsr.Ftz) != 0;

    /// <summary>True when exception flag <paramref name="flag"/> is unmasked.</summary>
    public readonly bool Unmasked(uint flag) => (Control & (flag << Mxcsr.MaskShift)) == 0;

    /// <summary>Creates the environment of an instruction that runs under MXCSR <paramref name="mxcsr"/>.</summary>
    public static SseFp For(uint mxcsr) => new() { Control = mxcsr, Rounding = (int)(mxcsr >> Mxcsr.RcShift) & 3 };
}
