namespace Smp.Devices.Cpu.Simd;

// Addition, subtraction, multiplication, division and square root with the SSE exception rules
// (SDM Vol. 1 §11.5.2: invalid and divide-by-zero first, then denormal, then the post-computation
// exceptions of the rounding in RoundPack).
internal static partial class SoftFloat
{
    /// <summary>a + b.</summary>
    public static ulong Add<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => AddSub<F>(a, b, false, ref env);

    /// <summary>a − b.</summary>
    public static ulong Sub<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => AddSub<F>(a, b, true, ref env);

    private static ulong AddSub<F>(ulong a, ulong b, bool subtract, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        b = Daz<F>(b, env);
        if (Fmt<F>.IsNaN(a) || Fmt<F>.IsNaN(b)) return PropagateNaN<F>(a, b, ref env);
        if (subtract) b ^= Fmt<F>.SignBit;
        bool signA = Fmt<F>.Sign(a), signB = Fmt<F>.Sign(b);
        bool infA = Fmt<F>.IsInf(a), infB = Fmt<F>.IsInf(b);
        if (infA && infB && signA != signB)
        {
            env.Flags |= Mxcsr.IE;
            return Fmt<F>.Indefinite;
        }
        DenormalCheck<F>(a, b, ref env);
        if (infA) return a;
        if (infB) return b;
        bool zeroA = Fmt<F>.IsZero(a), zeroB = Fmt<F>.IsZero(b);
        if (zeroA && zeroB)
            // x + x keeps the sign; (+0) + (−0) is +0 except when rounding down (IEEE 754 §6.3).
            return signA == signB ? a : env.Rounding == Mxcsr.RoundDown ? Fmt<F>.SignBit : 0;
        if (zeroB) return Exact<F>(a, ref env);
        if (zeroA) return Exact<F>(b, ref env);

        int expA = Unpack<F>(a, out ulong sigA);
        int expB = Unpack<F>(b, out ulong sigB);
        if (expA < expB || (expA == expB && sigA < sigB))
        {
            (expA, expB) = (expB, expA);
            (sigA, sigB) = (sigB, sigA);
            (signA, signB) = (signB, signA);
        }
        sigB = ShiftRightJam(sigB, expA - expB);
        if (signA == signB)
        {
            ulong sum = sigA + sigB;
            if ((long)sum < 0) return RoundPack<F>(signA, expA + 1, (sum >> 1) | (sum & 1), ref env);
            return RoundPack<F>(signA, expA, sum, ref env);
        }
        ulong diff = sigA - sigB;
        if (diff == 0) return env.Rounding == Mxcsr.RoundDown ? Fmt<F>.SignBit : 0;
        return NormRoundPack<F>(signA, expA, diff, ref env);
    }

    /// <summary>a × b.</summary>
    public static ulong Mul<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        b = Daz<F>(b, env);
        if (Fmt<F>.IsNaN(a) || Fmt<F>.IsNaN(b)) return PropagateNaN<F>(a, b, ref env);
        ulong sign = (a ^ b) & Fmt<F>.SignBit;
        if (Fmt<F>.IsInf(a) || Fmt<F>.IsInf(b))
        {
            if (Fmt<F>.IsZero(a) || Fmt<F>.IsZero(b))
            {
                env.Flags |= Mxcsr.IE;
                return Fmt<F>.Indefinite;
            }
            DenormalCheck<F>(a, b, ref env);
            return sign | Fmt<F>.ExpMask;
        }
        DenormalCheck<F>(a, b, ref env);
        if (Fmt<F>.IsZero(a) || Fmt<F>.IsZero(b)) return sign;
        int expA = Unpack<F>(a, out ulong sigA);
        int expB = Unpack<F>(b, out ulong sigB);
        // The product of two significands in [2^62, 2^63) lies in [2^124, 2^126): keep bits 125..62, jam the rest.
        ulong hi = Math.BigMul(sigA, sigB, out ulong lo);
        ulong sig = (hi << 2) | (lo >> 62) | ((lo & ((1UL << 62) - 1)) != 0 ? 1UL : 0);
        int exp = expA + expB - Fmt<F>.Bias;
        if ((long)sig < 0) return RoundPack<F>(sign != 0, exp + 1, (sig >> 1) | (sig & 1), ref env);
        return RoundPack<F>(sign != 0, exp, sig, ref env);
    }

    /// <summary>a ÷ b.</summary>
    public static ulong Div<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        b = Daz<F>(b, env);
        if (Fmt<F>.IsNaN(a) || Fmt<F>.IsNaN(b)) return PropagateNaN<F>(a, b, ref env);
        ulong sign = (a ^ b) & Fmt<F>.SignBit;
        bool infA = Fmt<F>.IsInf(a), infB = Fmt<F>.IsInf(b);
        bool zeroA = Fmt<F>.IsZero(a), zeroB = Fmt<F>.IsZero(b);
        if ((infA && infB) || (zeroA && zeroB))
        {
            env.Flags |= Mxcsr.IE;
            return Fmt<F>.Indefinite;
        }
        if (zeroB && !infA)
        {
            // A finite dividend over zero: ZE, which outranks the denormal exception (SDM Vol. 3A Table 6-8).
            env.Flags |= Mxcsr.ZE;
            return sign | Fmt<F>.ExpMask;
        }
        DenormalCheck<F>(a, b, ref env);
        if (infA) return sign | Fmt<F>.ExpMask;
        if (infB || zeroA) return sign;
        int expA = Unpack<F>(a, out ulong sigA);
        int expB = Unpack<F>(b, out ulong sigB);
        // q = sigA·2^63 / sigB lies in (2^62, 2^64); the remainder is the sticky bit.
        UInt128 n = (UInt128)sigA << 63;
        ulong q = (ulong)(n / sigB);
        bool inexact = n - (UInt128)q * sigB != 0;
        int exp = expA - expB + Fmt<F>.Bias - 1;
        if ((long)q < 0) return RoundPack<F>(sign != 0, exp + 1, (q >> 1) | (q & 1) | (inexact ? 1UL : 0), ref env);
        return RoundPack<F>(sign != 0, exp, q | (inexact ? 1UL : 0), ref env);
    }

    /// <summary>√a.</summary>
    public static ulong Sqrt<F>(ulong a, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        if (Fmt<F>.IsNaN(a)) return PropagateNaN<F>(a, a, ref env);
        if (Fmt<F>.IsZero(a)) return a;   // √−0 = −0
        if (Fmt<F>.Sign(a))
        {
            env.Flags |= Mxcsr.IE;
            return Fmt<F>.Indefinite;
        }
        if (Fmt<F>.IsInf(a)) return a;
        if (Fmt<F>.IsDenormal(a)) env.Flags |= Mxcsr.DE;
        int exp = Unpack<F>(a, out ulong sig);
        int k = exp - Fmt<F>.Bias;
        UInt128 n = (UInt128)sig << 64;
        if ((k & 1) != 0)
        {
            n <<= 1;
            k--;
        }
        // √(sig·2^64) lies in [2^63, 2^64): halve it into the bit-62 form, the remainder jams.
        ulong root = ISqrt(n, out bool inexact);
        ulong rsig = (root >> 1) | (root & 1) | (inexact ? 1UL : 0);
        return RoundPack<F>(false, k / 2 + Fmt<F>.Bias, rsig, ref env);
    }

    // ⌊√n⌋ for n < 2^128 (the root fits 64 bits), and whether n is not a perfect square. The double-precision
    // estimate is within about 2^12 of the root; one Newton step and the exact corrections make it exact.
    private static ulong ISqrt(UInt128 n, out bool inexact)
    {
        double estimate = Math.Sqrt((double)n);
        UInt128 r = estimate >= 18446744073709551615.0 ? ulong.MaxValue : (UInt128)(ulong)estimate;
        if (r == 0) r = 1;
        r = (r + n / r) >> 1;
        if (r > ulong.MaxValue) r = ulong.MaxValue;
        while (r * r > n) r--;
        UInt128 rem = n - r * r;
        while (rem > 2 * r)
        {
            rem -= 2 * r + 1;
            r++;
        }
        inexact = rem != 0;
        return (ulong)r;
    }
}
