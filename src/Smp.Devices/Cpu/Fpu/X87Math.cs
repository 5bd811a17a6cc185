using System.Numerics;

namespace Smp.Devices.Cpu.Fpu;

/// <summary>
/// Soft-float arithmetic on the x87 double-extended format (SDM Vol. 1 ch. 4 and 8): exactly rounded add, subtract,
/// multiply, divide and square root in every rounding mode and precision, with the x87's operand checks (unsupported
/// encodings, NaN propagation of Table 4-7, denormal operands) and its masked and unmasked responses to the six
/// exceptions (§4.9, §8.5). Written by hand because .NET has no 80-bit type; no host floating point is used.
/// </summary>
/// <remarks>
/// Intermediate values are a sign, a biased exponent and a 128-bit significand whose bit 127 weighs 2^(exp − bias):
/// 64 bits beyond the 64-bit format, plus a sticky bit, are enough for every correctly rounded result here.
/// </remarks>
internal static partial class X87Math
{
    internal const int Bias = Float80.Bias;
    private const int MaxExp = Float80.MaxExponent;

    // Unmasked overflow/underflow deliver the result with its exponent scaled by 2^∓24576 into range (SDM Vol. 1 §8.5.4, §8.5.5).
    private const int BiasAdjust80 = 0x6000;

    /// <summary>The normalized exponent and significand of a finite nonzero value (denormals and pseudo-denormals take exponent 1 before normalizing).</summary>
    internal static void Normalize(Float80 x, out int exp, out ulong sig)
    {
        exp = x.Exponent == 0 ? 1 : x.Exponent;
        sig = x.Significand;
        int lz = BitOperations.LeadingZeroCount(sig);
        sig <<= lz;
        exp -= lz;
    }

    /// <summary>Shifts right, OR-ing every bit shifted out into bit 0 (the sticky bit).</summary>
    internal static UInt128 ShiftRightJam(UInt128 v, int n)
    {
        if (n <= 0) return v;
        if (n >= 128) return v != 0 ? UInt128.One : UInt128.Zero;
        UInt128 lost = v & ((UInt128.One << n) - 1);
        return (v >> n) | (lost != 0 ? UInt128.One : UInt128.Zero);
    }

    private static int LeadingZeros(UInt128 v)
    {
        ulong hi = (ulong)(v >> 64);
        return hi != 0 ? BitOperations.LeadingZeroCount(hi) : 64 + BitOperations.LeadingZeroCount((ulong)v);
    }

    /// <summary>
    /// Rounds sign × sig × 2^(exp − <paramref name="bias"/> − 127) to <paramref name="precision"/> significand bits and
    /// an exponent field of <paramref name="maxExp"/> (all ones = ∞/NaN), raising OE/UE/PE with the masked or unmasked
    /// response (SDM Vol. 1 §4.9.1.4–4.9.1.6, §8.5.4–8.5.6). Returns the biased exponent field and the p-bit significand
    /// (bit p−1 is the integer bit; 0 in a denormal).
    /// </summary>
    /// <remarks>Tininess is detected after rounding, as on every Intel and AMD processor.</remarks>
    internal static (int Exp, ulong Sig) Round(bool sign, int exp, UInt128 sig, int precision, int maxExp, int bias, int adjust, ref FpEnv env)
    {
        int lz = LeadingZeros(sig);
        sig <<= lz;
        exp -= lz;
        int drop = 128 - precision;
        bool tiny = false;
        if (exp < 1)
        {
            var (probe, _, _) = RoundBits(sig, drop, sign, env.Rc);
            tiny = exp + (int)(probe >> precision) < 1;
        }
        bool unmaskedUnderflow = tiny && !env.IsMasked(X87Sw.UE);
        if (exp < 1 && !unmaskedUnderflow)
        {
            // Masked response: a denormal (or zero) result, rounded at the format's fixed lowest bit.
            var (kept, inexact, up) = RoundBits(ShiftRightJam(sig, 1 - exp), drop, sign, env.Rc);
            if (inexact)
            {
                env.Flags |= X87Sw.PE | (tiny ? X87Sw.UE : 0);
                env.RoundedUp = up;
            }
            return ((int)(kept >> (precision - 1)) & 1, (ulong)kept);
        }
        var (k, inx, u) = RoundBits(sig, drop, sign, env.Rc);
        if ((k >> precision) != 0)
        {
            k >>= 1;
            exp++;
        }
        if (exp >= maxExp)
        {
            if (env.IsMasked(X87Sw.OE))
            {
                env.Flags |= X87Sw.OE | X87Sw.PE;
                bool toInfinity = env.Rc == 0 || (env.Rc == 1 && sign) || (env.Rc == 2 && !sign);
                env.RoundedUp = toInfinity;
                return toInfinity ? (maxExp, 1UL << (precision - 1)) : (maxExp - 1, precision == 64 ? ulong.MaxValue : (1UL << precision) - 1);
            }
            env.Flags |= X87Sw.OE;
            exp -= adjust;
            if (exp >= maxExp)
            {
                // Beyond what the bias adjustment can bring into range (FSCALE): an infinity.
                env.Flags |= X87Sw.PE;
                env.RoundedUp = true;
                return (maxExp, 1UL << (precision - 1));
            }
        }
        if (unmaskedUnderflow)
        {
            env.Flags |= X87Sw.UE;
            exp += adjust;
            if (exp < 1)
            {
                env.Flags |= X87Sw.PE;
                env.RoundedUp = false;
                return (0, 0);
            }
        }
        if (inx)
        {
            env.Flags |= X87Sw.PE;
            env.RoundedUp = u;
        }
        return (exp, (ulong)k);
    }

    private static (UInt128 Kept, bool Inexact, bool Up) RoundBits(UInt128 sig, int drop, bool sign, int rc)
    {
        UInt128 kept = sig >> drop;
        UInt128 rem = sig & ((UInt128.One << drop) - 1);
        bool inexact = rem != 0;
        UInt128 half = UInt128.One << (drop - 1);
        bool up = rc switch
        {
            0 => rem > half || (rem == half && (kept & 1) != 0),
            1 => sign && inexact,
            2 => !sign && inexact,
            _ => false,
        };
        return (up ? kept + 1 : kept, inexact, up);
    }

    /// <summary>Rounds and packs into the 80-bit register format at the context's precision (bias 3FFFh).</summary>
    internal static Float80 RoundPack(bool sign, int exp, UInt128 sig, ref FpEnv env)
    {
        if (sig == 0) return Float80.SignedZero(sign);
        var (e, m) = Round(sign, exp, sig, env.Precision, MaxExp, Bias, BiasAdjust80, ref env);
        return new Float80(m << (64 - env.Precision), (ushort)((sign ? 0x8000 : 0) | (e & 0x7FFF)));
    }

    // ---- operand checks ------------------------------------------------------------------------------------

    /// <summary>
    /// The operand checks every arithmetic instruction makes first: an unsupported encoding or an SNaN raises IE; a NaN
    /// result follows SDM Vol. 1 Table 4-7 (a QNaN beats an SNaN, otherwise the larger significand; SNaNs are
    /// quieted). Returns true with the result when the operands decide it.
    /// </summary>
    internal static bool CheckNaN(Float80 a, Float80 b, ref FpEnv env, out Float80 result)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            env.Flags |= X87Sw.IE;
            result = Float80.Indefinite;
            return true;
        }
        bool an = a.IsNaN, bn = b.IsNaN;
        if (!an && !bn)
        {
            result = default;
            return false;
        }
        if (a.IsSignalingNaN || b.IsSignalingNaN) env.Flags |= X87Sw.IE;
        if (an && bn)
        {
            bool aq = !a.IsSignalingNaN, bq = !b.IsSignalingNaN;
            if (aq != bq) result = aq ? a : b;
            else
            {
                ulong ma = a.Significand | 0x4000_0000_0000_0000, mb = b.Significand | 0x4000_0000_0000_0000;
                result = ma > mb ? a : mb > ma ? b : (a.Sign ? b : a);
            }
        }
        else result = an ? a : b;
        result = result.Quiet;
        return true;
    }

    /// <summary>One-operand form of <see cref="CheckNaN(Float80, Float80, ref FpEnv, out Float80)"/>.</summary>
    internal static bool CheckNaN(Float80 a, ref FpEnv env, out Float80 result)
    {
        if (a.IsUnsupported)
        {
            env.Flags |= X87Sw.IE;
            result = Float80.Indefinite;
            return true;
        }
        if (!a.IsNaN)
        {
            result = default;
            return false;
        }
        if (a.IsSignalingNaN) env.Flags |= X87Sw.IE;
        result = a.Quiet;
        return true;
    }

    private static void CheckDenormal(Float80 a, ref FpEnv env)
    {
        if (a.IsDenormal) env.Flags |= X87Sw.DE;
    }

    private static Float80 Invalid(ref FpEnv env)
    {
        env.Flags |= X87Sw.IE;
        return Float80.Indefinite;
    }

    // ---- arithmetic ----------------------------------------------------------------------------------------

    /// <summary>a + b, or a − b when <paramref name="subtract"/> (FADD/FSUB and their forms; SDM Vol. 2A FADD, FSUB tables).</summary>
    internal static Float80 Add(Float80 a, Float80 b, bool subtract, ref FpEnv env)
    {
        if (CheckNaN(a, b, ref env, out var nan)) return nan;
        if (subtract) b = b.Negate;
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (env.DenormalFault) return default;
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsInfinity && b.IsInfinity && a.Sign != b.Sign) return Invalid(ref env);
            return a.IsInfinity ? a : b;
        }
        if (a.IsZero && b.IsZero)
            return Float80.SignedZero(a.Sign == b.Sign ? a.Sign : env.Rc == 1);
        if (a.IsZero) return RoundValue(b, ref env);
        if (b.IsZero) return RoundValue(a, ref env);

        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        bool signA = a.Sign, signB = b.Sign;
        if (ea < eb || (ea == eb && sa < sb))
        {
            (ea, eb) = (eb, ea);
            (sa, sb) = (sb, sa);
            (signA, signB) = (signB, signA);
        }
        UInt128 big = (UInt128)sa << 63;
        UInt128 small = ShiftRightJam((UInt128)sb << 63, ea - eb);
        UInt128 sum = signA == signB ? big + small : big - small;
        if (sum == 0) return Float80.SignedZero(env.Rc == 1);
        return RoundPack(signA, ea + 1, sum, ref env);
    }

    // A finite nonzero value rounded to the context's precision (x + 0 still rounds to PC, and makes denormals canonical).
    private static Float80 RoundValue(Float80 x, ref FpEnv env)
    {
        Normalize(x, out int e, out ulong s);
        return RoundPack(x.Sign, e, (UInt128)s << 64, ref env);
    }

    /// <summary>a × b (FMUL; 0 × ∞ is invalid).</summary>
    internal static Float80 Mul(Float80 a, Float80 b, ref FpEnv env)
    {
        if (CheckNaN(a, b, ref env, out var nan)) return nan;
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (env.DenormalFault) return default;
        bool sign = a.Sign != b.Sign;
        if (a.IsInfinity || b.IsInfinity)
            return a.IsZero || b.IsZero ? Invalid(ref env) : Float80.Infinity(sign);
        if (a.IsZero || b.IsZero) return Float80.SignedZero(sign);
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        return RoundPack(sign, ea + eb - Bias + 1, (UInt128)sa * sb, ref env);
    }

    /// <summary>a ÷ b (FDIV; 0/0 and ∞/∞ are invalid, finite/0 raises ZE).</summary>
    internal static Float80 Div(Float80 a, Float80 b, ref FpEnv env)
    {
        if (CheckNaN(a, b, ref env, out var nan)) return nan;
        bool sign = a.Sign != b.Sign;
        // Invalid and divide-by-zero come before the denormal check: a denormal dividend over 0 raises ZE alone.
        if (a.IsInfinity && b.IsInfinity) return Invalid(ref env);
        if (b.IsZero)
        {
            if (a.IsZero) return Invalid(ref env);
            if (!a.IsInfinity) env.Flags |= X87Sw.ZE;
            return Float80.Infinity(sign);
        }
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (env.DenormalFault) return default;
        if (a.IsInfinity) return Float80.Infinity(sign);
        if (b.IsInfinity) return Float80.SignedZero(sign);
        if (a.IsZero) return Float80.SignedZero(sign);
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        return RoundPack(sign, ea - eb + Bias, DivideSignificands(sa, sb), ref env);
    }

    // floor(sa × 2^127 / sb) with a sticky bit; sa, sb normalized (bit 63 set), so the quotient lies in [2^126, 2^128).
    private static UInt128 DivideSignificands(ulong sa, ulong sb)
    {
        UInt128 n = (UInt128)sa << 63;
        UInt128 qHi = n / sb;
        UInt128 r = n - qHi * sb;
        UInt128 n2 = r << 64;
        UInt128 qLo = n2 / sb;
        UInt128 r2 = n2 - qLo * sb;
        UInt128 q = (qHi << 64) | qLo;
        return r2 != 0 ? q | 1 : q;
    }

    /// <summary>√a (FSQRT; negative nonzero operands are invalid, √−0 = −0).</summary>
    internal static Float80 Sqrt(Float80 a, ref FpEnv env)
    {
        if (CheckNaN(a, ref env, out var nan)) return nan;
        if (a.IsZero) return a;
        if (a.Sign) return Invalid(ref env); // before the denormal check: √(−denormal) raises IE alone
        CheckDenormal(a, ref env);
        if (env.DenormalFault) return default;
        if (a.IsInfinity) return a;
        Normalize(a, out int ea, out ulong sa);
        int e = ea - Bias;
        UInt128 x = (e & 1) == 0 ? (UInt128)sa << 63 : (UInt128)sa << 64;
        int half = (e - (e & 1)) >> 1;
        // Digit-by-digit square root of x (two integer bits): 66 root bits, one integer and 65 fraction bits.
        UInt128 rem = 0, root = 0;
        for (int i = 0; i < 66; i++)
        {
            uint pair = i < 64 ? (uint)(x >> (126 - 2 * i)) & 3 : 0;
            rem = (rem << 2) | pair;
            UInt128 trial = (root << 2) | 1;
            if (rem >= trial)
            {
                rem -= trial;
                root = (root << 1) | 1;
            }
            else root <<= 1;
        }
        UInt128 sig = root << 62;
        if (rem != 0) sig |= 1;
        return RoundPack(false, half + Bias, sig, ref env);
    }
}
