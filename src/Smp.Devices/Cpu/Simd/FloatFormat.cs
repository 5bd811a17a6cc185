namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// An IEEE 754 binary interchange format as SSE uses it: single (binary32) or double (binary64). Values are
/// carried as raw bits in a <see cref="ulong"/> (a single in its low 32 bits), so one soft-float serves both.
/// </summary>
internal interface IFloatFormat
{
    /// <summary>Stored fraction bits (23 or 52); the precision is one more.</summary>
    static abstract int FractionBits { get; }

    /// <summary>Exponent field width (8 or 11).</summary>
    static abstract int ExponentBits { get; }
}

/// <summary>IEEE binary32 (SSE "single precision").</summary>
internal struct Single32 : IFloatFormat
{
    /// <inheritdoc/>
    public static int FractionBits => 23;
    /// <inheritdoc/>
    public static int ExponentBits => 8;
}

/// <summary>IEEE binary64 (SSE2 "double precision").</summary>
internal struct Double64 : IFloatFormat
{
    /// <inheritdoc/>
    public static int FractionBits => 52;
    /// <inheritdoc/>
    public static int ExponentBits => 11;
}

/// <summary>The constants of a format <typeparamref name="F"/>, folded by the JIT per instantiation.</summary>
internal static class Fmt<F> where F : struct, IFloatFormat
{
    public static int Frac => F.FractionBits;
    public static int Bias => (1 << (F.ExponentBits - 1)) - 1;
    public static int MaxExp => (1 << F.ExponentBits) - 1;
    public static ulong SignBit => 1UL << (F.FractionBits + F.ExponentBits);
    public static ulong ExpMask => (ulong)MaxExp << F.FractionBits;
    public static ulong FracMask => (1UL << F.FractionBits) - 1;
    public static ulong QuietBit => 1UL << (F.FractionBits - 1);
    public static ulong AbsMask => SignBit - 1;

    /// <summary>The QNaN floating-point indefinite: sign set, exponent all ones, only the quiet bit (SDM Vol. 1 Table 4-3).</summary>
    public static ulong Indefinite => SignBit | ExpMask | QuietBit;

    public static bool IsNaN(ulong a) => (a & AbsMask) > ExpMask;
    public static bool IsSNaN(ulong a) => IsNaN(a) && (a & QuietBit) == 0;
    public static bool IsInf(ulong a) => (a & AbsMask) == ExpMask;
    public static bool IsZero(ulong a) => (a & AbsMask) == 0;
    public static bool IsDenormal(ulong a) => (a & ExpMask) == 0 && (a & FracMask) != 0;
    public static bool Sign(ulong a) => (a & SignBit) != 0;
    public static int Exp(ulong a) => (int)((a >> F.FractionBits) & (ulong)MaxExp);
}
