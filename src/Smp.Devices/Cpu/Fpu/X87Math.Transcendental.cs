namespace Smp.Devices.Cpu.Fpu;

// The transcendental instructions (SDM Vol. 1 §8.3.9–8.3.10, Vol. 2A FSIN … FYL2XP1): series evaluated in the
// 128-bit Wide format and rounded once to 64 bits, which keeps results within the documented one-ulp accuracy.
// Arguments are reduced with a 128-bit π (more exact than the processor's 66-bit internal π, SDM Vol. 1 §8.3.10:
// for large arguments the hardware's result differs from the true function; this model returns the true one).
internal static partial class X87Math
{
    // π and ln 2 computed once from their series (Machin's formula; 2·atanh(1/3)).
    internal static readonly Wide PiWide = (AtanSeries(Wide.FromInt(1).DivInt(5)).Scale(2) - AtanSeries(Wide.FromInt(1).DivInt(239))).Scale(2);
    internal static readonly Wide Ln2Wide = AtanhSeries(Wide.FromInt(1).DivInt(3)).Scale(1);
    private static readonly Wide HalfPi = PiWide.Scale(-1);
    private static readonly Wide QuarterPi = PiWide.Scale(-2);

    // atan z for |z| ≤ 1 by Euler's series: atan z = (z / (1 + z²)) Σ_n (2^2n (n!)² / (2n + 1)!) (z² / (1 + z²))^n.
    private static Wide AtanSeries(Wide z)
    {
        if (z.IsZero) return z;
        var z2 = z * z;
        var onePlus = Wide.One + z2;
        var ratio = z2 / onePlus;
        var term = z / onePlus;
        var sum = term;
        for (ulong n = 1; n < 200; n++)
        {
            term = (term * ratio).Scale(1).DivInt(2 * n + 1);
            term = Wide.FromInt((long)n) * term;
            if (term.IsZero || term.Exp < sum.Exp - 130) break;
            sum = sum + term;
        }
        return sum;
    }

    // atanh t = t + t³/3 + t⁵/5 + … for |t| ≤ 1/3.
    private static Wide AtanhSeries(Wide t)
    {
        var t2 = t * t;
        var power = t;
        var sum = t;
        for (ulong k = 3; k < 400; k += 2)
        {
            power = power * t2;
            var term = power.DivInt(k);
            if (term.IsZero || term.Exp < sum.Exp - 130) break;
            sum = sum + term;
        }
        return sum;
    }

    // sin r and cos r for |r| ≤ π/4 by their Taylor series.
    private static (Wide Sin, Wide Cos) SinCosSeries(Wide r)
    {
        var r2 = r * r;
        var sin = r;
        var term = r;
        for (ulong n = 2; n < 80; n += 2)
        {
            term = (term * r2).DivInt(n * (n + 1)).Negate();
            if (term.IsZero || term.Exp < sin.Exp - 130) break;
            sin = sin + term;
        }
        var cos = Wide.One;
        term = Wide.One;
        for (ulong n = 1; n < 80; n += 2)
        {
            term = (term * r2).DivInt(n * (n + 1)).Negate();
            if (term.IsZero || term.Exp < -130) break;
            cos = cos + term;
        }
        return (sin, cos);
    }

    // ln m for m in [√½, √2] as 2·atanh((m − 1)/(m + 1)).
    private static Wide LnNearOne(Wide m) => AtanhSeries((m - Wide.One) / (m + Wide.One)).Scale(1);

    // log2 of a positive finite value: e + ln(m)/ln 2 with m in [√½, √2].
    private static Wide Log2(Float80 x)
    {
        Normalize(x, out int e, out ulong s);
        int exponent = e - Bias;
        var m = new Wide(false, 0, (UInt128)s << 64);
        // √2 ≈ 1.6A09E667F3BCC908… × 2^0: above it, halve m.
        if ((ulong)(m.M >> 64) > 0xB504_F333_F9DE_6484)
        {
            m = m.Scale(-1);
            exponent++;
        }
        return Wide.FromInt(exponent) + LnNearOne(m) / Ln2Wide;
    }

    /// <summary>Whether an FSIN/FCOS/FSINCOS/FPTAN source is in range (|x| &lt; 2^63); otherwise C2 = 1 and nothing changes.</summary>
    internal static bool TrigInRange(Float80 x) => x.Exponent < Bias + 63 || x.Exponent == MaxExp || x.IsUnsupported;

    /// <summary>
    /// sin x (<paramref name="cosine"/> false) or cos x (FSIN, FCOS; FSINCOS takes both), with the special cases of
    /// SDM Vol. 2A FSIN/FCOS; x in range.
    /// </summary>
    internal static Float80 SinOrCos(Float80 x, bool cosine, ref FpEnv env)
    {
        if (CheckNaN(x, ref env, out var nan)) return nan;
        if (x.IsInfinity) return Invalid(ref env);
        if (x.IsZero) return cosine ? Float80.One : x;
        CheckDenormal(x, ref env);
        if (env.DenormalFault) return default;
        var (s, c) = Reduce(x);
        return (cosine ? c : s).Round(ref env);
    }

    // x reduced by multiples of π/2 into [−π/4, π/4]: sin and cos of x.
    private static (Wide Sin, Wide Cos) Reduce(Float80 x)
    {
        var w = Wide.From(x);
        long k = Wide.MagnitudeGreater(w, QuarterPi) ? (w / HalfPi).RoundToInteger() : 0;
        var r = k == 0 ? w : w - Wide.FromInt(k) * HalfPi;
        var (s, c) = SinCosSeries(r);
        return (k & 3) switch
        {
            0 => (s, c),
            1 => (c, s.Negate()),
            2 => (s.Negate(), c.Negate()),
            _ => (c.Negate(), s),
        };
    }

    /// <summary>tan x (FPTAN); x in range.</summary>
    internal static Float80 Tan(Float80 x, ref FpEnv env)
    {
        if (CheckNaN(x, ref env, out var nan)) return nan;
        if (x.IsInfinity) return Invalid(ref env);
        if (x.IsZero) return x;
        CheckDenormal(x, ref env);
        if (env.DenormalFault) return default;
        var (s, c) = Reduce(x);
        return (s / c).Round(ref env);
    }

    /// <summary>FPATAN: atan2(y, x), the angle of (x, y) in (−π, π] with the signed-zero and infinity cases of SDM Vol. 2A FPATAN.</summary>
    internal static Float80 Atan2(Float80 y, Float80 x, ref FpEnv env)
    {
        if (CheckNaN(y, x, ref env, out var nan)) return nan;
        CheckDenormal(y, ref env);
        CheckDenormal(x, ref env);
        if (env.DenormalFault) return default;
        bool xNeg = x.Sign;
        Wide angle;
        if (y.IsZero) angle = xNeg ? PiWide : Wide.Zero;
        else if (y.IsInfinity) angle = x.IsInfinity ? (xNeg ? PiWide - QuarterPi : QuarterPi) : HalfPi;
        else if (x.IsInfinity) angle = xNeg ? PiWide : Wide.Zero;
        else if (x.IsZero) angle = HalfPi;
        else
        {
            var ratio = Wide.From(y).Abs() / Wide.From(x).Abs();
            angle = Wide.MagnitudeGreater(ratio, Wide.One) ? HalfPi - AtanSeries(Wide.One / ratio) : AtanSeries(ratio);
            if (xNeg) angle = PiWide - angle;
        }
        if (angle.IsZero) return Float80.SignedZero(y.Sign);
        return (y.Sign ? angle.Negate() : angle).Round(ref env);
    }

    /// <summary>F2XM1: 2^x − 1 (the SDM defines it for −1 ≤ x ≤ +1; other finite values are computed the same way).</summary>
    internal static Float80 Exp2Minus1(Float80 x, ref FpEnv env)
    {
        if (CheckNaN(x, ref env, out var nan)) return nan;
        if (x.IsZero) return x;
        if (x.IsInfinity) return x.Sign ? Float80.One.Negate : x;
        CheckDenormal(x, ref env);
        if (env.DenormalFault) return default;
        var t = Wide.From(x) * Ln2Wide;
        var term = t;
        var sum = t;
        for (ulong n = 2; n < 80; n++)
        {
            term = (term * t).DivInt(n);
            if (term.IsZero || term.Exp < sum.Exp - 130) break;
            sum = sum + term;
        }
        return sum.Round(ref env);
    }

    /// <summary>FYL2X: y × log2(x) with the cases of SDM Vol. 2A FYL2X (x &lt; 0 invalid, x = ±0 divide-by-zero).</summary>
    internal static Float80 YLog2X(Float80 y, Float80 x, ref FpEnv env)
    {
        if (CheckNaN(y, x, ref env, out var nan)) return nan;
        if (x.Sign && !x.IsZero) return Invalid(ref env);
        if (x.IsZero)
        {
            if (y.IsZero) return Invalid(ref env);
            if (!y.IsInfinity) env.Flags |= X87Sw.ZE; // before the denormal check, as the processor does
            return Float80.Infinity(!y.Sign);
        }
        if (x.IsInfinity)
        {
            if (y.IsZero) return Invalid(ref env);
            CheckDenormal(y, ref env);
            return env.DenormalFault ? default : Float80.Infinity(y.Sign);
        }
        CheckDenormal(y, ref env);
        CheckDenormal(x, ref env);
        if (env.DenormalFault) return default;
        bool xBelowOne = x.Exponent < Bias || (x.Exponent == Bias && x.Significand < 0x8000_0000_0000_0000) || x.Exponent == 0;
        bool xIsOne = x.Exponent == Bias && x.Significand == 0x8000_0000_0000_0000;
        if (y.IsInfinity)
        {
            if (xIsOne) return Invalid(ref env);
            return Float80.Infinity(y.Sign != xBelowOne);
        }
        if (y.IsZero || xIsOne) return Float80.SignedZero(y.Sign != xBelowOne);
        return (Wide.From(y) * Log2(x)).Round(ref env);
    }

    /// <summary>FYL2XP1: y × log2(x + 1) for |x| &lt; 1 − √2/2 (SDM Vol. 2A FYL2XP1), from 2·atanh(x / (x + 2)) without cancellation.</summary>
    internal static Float80 YLog2XP1(Float80 y, Float80 x, ref FpEnv env)
    {
        if (CheckNaN(y, x, ref env, out var nan)) return nan;
        if (x.IsInfinity)
        {
            if (y.IsZero || x.Sign) return Invalid(ref env);
            CheckDenormal(y, ref env);
            return env.DenormalFault ? default : Float80.Infinity(y.Sign);
        }
        if (x.IsZero)
        {
            if (y.IsInfinity) return Invalid(ref env);
            CheckDenormal(y, ref env);
            return Float80.SignedZero(y.Sign != x.Sign);
        }
        CheckDenormal(y, ref env);
        CheckDenormal(x, ref env);
        if (env.DenormalFault) return default;
        if (y.IsInfinity) return Float80.Infinity(y.Sign != x.Sign);
        if (y.IsZero) return Float80.SignedZero(y.Sign != x.Sign);
        var wx = Wide.From(x);
        var ln = AtanhSeries(wx / (wx + Wide.FromInt(2))).Scale(1);
        return (Wide.From(y) * (ln / Ln2Wide)).Round(ref env);
    }
}
