namespace Smp.Devices.Cpu.Simd;

// Conversions between the formats and to and from integers, and rounding to an integral value
// (SDM Vol. 2 CVTSD2SS, CVTSS2SD, CVTSI2SS, CVTSS2SI, CVTTSS2SI, ROUNDSS and their packed forms).
internal static partial class SoftFloat
{
    /// <summary>
    /// Converts between formats. A NaN keeps its sign and the leading fraction bits and becomes quiet (IE for an
    /// SNaN); narrowing rounds with the full exception rules, widening is exact.
    /// </summary>
    public static ulong Convert<TFrom, TTo>(ulong a, ref SseFp env) where TFrom : struct, IFloatFormat where TTo : struct, IFloatFormat
    {
        a = Daz<TFrom>(a, env);
        ulong sign = Fmt<TFrom>.Sign(a) ? Fmt<TTo>.SignBit : 0;
        if (Fmt<TFrom>.IsNaN(a))
        {
            if (Fmt<TFrom>.IsSNaN(a)) env.Flags |= Mxcsr.IE;
            ulong frac = a & Fmt<TFrom>.FracMask;
            int shift = Fmt<TFrom>.Frac - Fmt<TTo>.Frac;
            frac = shift >= 0 ? frac >> shift : frac << -shift;
            return sign | Fmt<TTo>.ExpMask | Fmt<TTo>.QuietBit | frac;
        }
        if (Fmt<TFrom>.IsInf(a)) return sign | Fmt<TTo>.ExpMask;
        if (Fmt<TFrom>.IsZero(a)) return sign;
        if (Fmt<TFrom>.IsDenormal(a)) env.Flags |= Mxcsr.DE;
        int exp = Unpack<TFrom>(a, out ulong sig);
        return RoundPack<TTo>(sign != 0, exp - Fmt<TFrom>.Bias + Fmt<TTo>.Bias, sig, ref env);
    }

    /// <summary>Converts a signed integer (at most 64 bits, sign-extended) to the format, rounding by the environment (PE only).</summary>
    public static ulong FromInt<F>(long v, ref SseFp env) where F : struct, IFloatFormat
    {
        if (v == 0) return 0;
        bool sign = v < 0;
        ulong magnitude = sign ? (ulong)-v : (ulong)v;   // −2^63 wraps to 2^63, the right magnitude
        return NormRoundPack<F>(sign, Fmt<F>.Bias + 62, magnitude, ref env);
    }

    /// <summary>
    /// Converts to a signed integer of <paramref name="bits"/> (32 or 64) bits, rounding by <paramref name="rounding"/>.
    /// NaN, infinity and out-of-range values set IE and return the integer indefinite (only the sign bit set);
    /// an inexact conversion sets PE (SDM Vol. 1 §4.8.3.7, §11.5.2.1).
    /// </summary>
    public static ulong ToInt<F>(ulong a, int bits, int rounding, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        ulong indefinite = 1UL << (bits - 1);
        if (Fmt<F>.IsNaN(a) || Fmt<F>.IsInf(a))
        {
            env.Flags |= Mxcsr.IE;
            return indefinite;
        }
        if (Fmt<F>.IsZero(a)) return 0;
        bool sign = Fmt<F>.Sign(a);
        int exp = Unpack<F>(a, out ulong sig);
        int k = exp - Fmt<F>.Bias;   // the value is sig / 2^62 × 2^k
        if (k >= 64)
        {
            env.Flags |= Mxcsr.IE;
            return indefinite;
        }
        // Integer part and the fraction as a 64-bit binary fraction (bit 63 = one half, sticky in bit 0).
        int shift = 62 - k;
        ulong whole, fraction;
        if (shift <= 0) { whole = sig << -shift; fraction = 0; }
        else if (shift < 64) { whole = sig >> shift; fraction = sig << (64 - shift); }
        else { whole = 0; fraction = ShiftRightJam(sig, shift - 64); }
        bool roundUp = rounding switch
        {
            Mxcsr.RoundNearest => fraction > (1UL << 63) || (fraction == (1UL << 63) && (whole & 1) != 0),
            Mxcsr.RoundDown => sign && fraction != 0,
            Mxcsr.RoundUp => !sign && fraction != 0,
            _ => false,
        };
        if (roundUp) whole++;
        if (whole > (sign ? indefinite : indefinite - 1) || (roundUp && whole == 0))
        {
            env.Flags |= Mxcsr.IE;
            return indefinite;
        }
        if (fraction != 0) env.Flags |= Mxcsr.PE;
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        return (sign ? 0 - whole : whole) & mask;
    }

    /// <summary>
    /// Rounds to an integral value in the same format (ROUNDPS/ROUNDSS): IE and a quiet NaN for an SNaN, PE when the
    /// value changes unless <paramref name="suppressPrecision"/>; never DE (SDM Vol. 2B ROUNDPS).
    /// </summary>
    public static ulong RoundToIntegral<F>(ulong a, int rounding, bool suppressPrecision, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        if (Fmt<F>.IsNaN(a)) return PropagateNaN<F>(a, a, ref env);
        int exp = Fmt<F>.Exp(a);
        if (exp >= Fmt<F>.Bias + Fmt<F>.Frac) return a;   // integral already, or infinity
        if (Fmt<F>.IsZero(a)) return a;
        ulong sign = a & Fmt<F>.SignBit;
        ulong result;
        if (exp < Fmt<F>.Bias)
        {
            // |a| < 1: the result is ±0 or ±1.
            ulong one = (ulong)Fmt<F>.Bias << Fmt<F>.Frac;
            bool toOne = rounding switch
            {
                Mxcsr.RoundNearest => exp == Fmt<F>.Bias - 1 && (a & Fmt<F>.FracMask) != 0,   // above one half
                Mxcsr.RoundDown => sign != 0,
                Mxcsr.RoundUp => sign == 0,
                _ => false,
            };
            result = sign | (toOne ? one : 0);
        }
        else
        {
            ulong lastBit = 1UL << (Fmt<F>.Bias + Fmt<F>.Frac - exp);
            ulong roundBits = lastBit - 1;
            result = a;
            switch (rounding)
            {
                case Mxcsr.RoundNearest:
                    result += lastBit >> 1;
                    if ((result & roundBits) == 0) result &= ~lastBit;   // an exact tie rounds to even
                    break;
                case Mxcsr.RoundDown:
                    if (sign != 0) result += roundBits;
                    break;
                case Mxcsr.RoundUp:
                    if (sign == 0) result += roundBits;
                    break;
            }
            result &= ~roundBits;
        }
        if (result != a && !suppressPrecision) env.Flags |= Mxcsr.PE;
        return result;
    }
}
