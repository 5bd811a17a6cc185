namespace Smp.Devices.Cpu.Fpu;

/// <summary>
/// One x87 constant: its 64 leading significand bits (truncated), the sign/exponent word, whether the value is exact,
/// and whether the bits beyond the 64th are more than half an ulp (round to nearest goes up).
/// </summary>
internal readonly record struct X87Constant(ulong Truncated, ushort SignExponent, bool Exact, bool NearestUp);

/// <summary>
/// The constants of FLD1, FLDZ, FLDPI, FLDL2E, FLDL2T, FLDLG2 and FLDLN2 (SDM Vol. 1 §8.3.8; Vol. 2A FLD1/FLDL2T/...).
/// They are held with more than 64 bits and rounded by FCW.RC on load: round up adds an ulp, round down and toward
/// zero truncate (all are positive), round to nearest follows the bits beyond.
/// </summary>
internal static class X87Constants
{
    public static readonly X87Constant One = new(0x8000_0000_0000_0000, 0x3FFF, true, false);
    public static readonly X87Constant Zero = new(0, 0, true, false);

    // π = C90FDAA2 2168C234 C4C6628B… × 2^−62 (next bits C4… > half).
    public static readonly X87Constant Pi = new(0xC90F_DAA2_2168_C234, 0x4000, false, true);

    // log2(e) = B8AA3B29 5C17F0BB BE87FED0… × 2^−63 (next bits BE… > half).
    public static readonly X87Constant Log2E = new(0xB8AA_3B29_5C17_F0BB, 0x3FFF, false, true);

    // log2(10) = D49A784B CD1B8AFE 492BF6FF… × 2^−62 (next bits 49… < half).
    public static readonly X87Constant Log2Ten = new(0xD49A_784B_CD1B_8AFE, 0x4000, false, false);

    // log10(2) = 9A209A84 FBCFF798 8F8959AC… × 2^−65 (next bits 8F… > half).
    public static readonly X87Constant Log10Two = new(0x9A20_9A84_FBCF_F798, 0x3FFD, false, true);

    // ln(2) = B17217F7 D1CF79AB C9E3B398… × 2^−64 (next bits C9… > half).
    public static readonly X87Constant LnTwo = new(0xB172_17F7_D1CF_79AB, 0x3FFE, false, true);

    /// <summary>The constant rounded by rounding control <paramref name="rc"/> (0 nearest, 1 down, 2 up, 3 toward zero).</summary>
    public static Float80 Rounded(X87Constant k, int rc)
    {
        bool up = !k.Exact && (rc == 2 || (rc == 0 && k.NearestUp));
        return new Float80(up ? k.Truncated + 1 : k.Truncated, k.SignExponent);
    }
}
