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

    /// <summary>The real indefinite (SDM Vol. 1 §4.8.3.7): the default QNaN of a masked invalid operation.</summary>
    public static Float80 Indefinite => new(0xC000_0000_0000_0000, 0xFFFF);

    /// <summary>+1.0.</summary>
    public static Float80 One => new(0x8000_0000_0000_0000, Bias);

    /// <summary>Infinity with the given sign.</summary>
    public static Float80 Infinity(bool sign) => new(0x8000_0000_0000_0000, (ushort)(sign ? 0xFFFF : 0x7FFF));

    /// <summary>Zero with the given sign.</summary>
    public static Float80 SignedZero(bool sign) => new(0, (ushort)(sign ? 0x8000 : 0));

    /// <summary>The explicit integer bit J (significand bit 63).</summary>
    public bool IntegerBit => (long)Significand < 0;

    /// <summary>True for infinities and NaNs of the supported encodings and for pseudo-infinities/pseudo-NaNs (exponent all ones).</summary>
    public bool IsInfinity => Exponent == MaxExponent && Significand == 0x8000_0000_0000_0000;

    /// <summary>True for a supported NaN (exponent all ones, J = 1, fraction nonzero).</summary>
    public bool IsNaN => Exponent == MaxExponent && IntegerBit && (Significand << 1) != 0;

    /// <summary>True for a signaling NaN (a supported NaN whose significand bit 62 is 0).</summary>
    public bool IsSignalingNaN => IsNaN && (Significand & 0x4000_0000_0000_0000) == 0;

    /// <summary>
    /// True for the encodings the x87 no longer supports as operands (SDM Vol. 1 §8.2.2, Table 8-3): pseudo-NaNs,
    /// pseudo-infinities and unnormals, i.e. J = 0 with a nonzero exponent. Arithmetic raises invalid-operation on them.
    /// </summary>
    public bool IsUnsupported => Exponent != 0 && !IntegerBit;

    /// <summary>True for denormals (exponent 0, J = 0, nonzero) and pseudo-denormals (exponent 0, J = 1).</summary>
    public bool IsDenormal => Exponent == 0 && Significand != 0;

    /// <summary>The same value with the sign cleared.</summary>
    public Float80 Abs => new(Significand, (ushort)(SignExponent & 0x7FFF));

    /// <summary>The same value with the sign inverted.</summary>
    public Float80 Negate => new(Significand, (ushort)(SignExponent ^ 0x8000));

    /// <summary>The NaN with its quiet bit set.</summary>
    public Float80 Quiet => new(Significand | 0x4000_0000_0000_0000, SignExponent);

    /// <inheritdoc/>
    public override string ToString() => $"{SignExponent:X4}:{Significand:X16}";
}
