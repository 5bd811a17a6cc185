namespace Smp.Devices.Cpu.Fpu;

/// <summary>
/// The x87 double-extended-precision format (SDM Vol. 1 §4.2.2, Figure 4-3): a sign, a 15-bit biased
/// exponent and a 64-bit significand whose bit 63 is the explicit integer bit. .NET has no 80-bit type,
/// so values are held bit-exact in this struct and arithmetic is done in software.
/// </summary>
/// <param name="Significand">Bits 0–63: the significand including the explicit integer bit (J).</param>
/// <param name="SignExponent">Bits 64–79: bit 15 the sign, bits 0–14 the biased exponent.</param>
public readonly record struct Float80(ulong Significand, ushort SignExponent)
{
    /// <summary>The exponent bias (16383).</summary>
    public const int Bias = 0x3FFF;

    /// <summary>The all-ones exponent of infinities and NaNs.</summary>
    public const int MaxExponent = 0x7FFF;

    /// <summary>The sign bit.</summary>
    public bool Sign => (SignExponent & 0x8000) != 0;

    /// <summary>The biased exponent.</summary>
    public int Exponent => SignExponent & 0x7FFF;

    /// <summary>Positive zero.</summary>
    public static Float80 Zero => default;

    /// <summary>True for +0 and −0.</summary>
    public bool IsZero => Exponent == 0 && Significand == 0;

    /// <summary>
    /// The x87 tag of this value as FXSAVE's full tag word and FSTENV report it (SDM Vol. 1 §8.1.7):
    /// 00 valid, 01 zero, 10 special (NaN, infinity, denormal, pseudo-denormal, unnormal); 11 (empty)
    /// comes from the tag word, never from the value.
    /// </summary>
    public int Tag => Exponent == MaxExponent ? 2
        : Exponent == 0 ? (Significand == 0 ? 1 : 2)
        : (Significand >> 63) == 0 ? 2 : 0;

    /// <inheritdoc/>
    public override string ToString() => $"{SignExponent:X4}:{Significand:X16}";
}
