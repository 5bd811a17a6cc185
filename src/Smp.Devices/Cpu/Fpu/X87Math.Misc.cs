namespace Smp.Devices.Cpu.Fpu;

/// <summary>The outcome of an x87 comparison.</summary>
internal enum FpCompare { Less, Equal, Greater, Unordered }

// Comparisons, classification, partial remainders, scaling and exponent extraction.
internal static partial class X87Math
{
    /// <summary>
    /// Compares a with b (FCOM/FUCOM/FCOMI/FUCOMI/FICOM/FTST). NaNs and unsupported encodings are unordered; an ordered
    /// compare (<paramref name="quiet"/> false) raises IE for any NaN, an unordered one only for SNaNs (and unsupported
    /// encodings); denormal operands raise DE (SDM Vol. 2A FCOM, FUCOM).
    /// </summary>
    internal static FpCompare Compare(Float80 a, Float80 b, bool quiet, ref FpEnv env)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            env.Flags |= X87Sw.IE;
            return FpCompare.Unordered;
        }
        if (a.IsNaN || b.IsNaN)
        {
            if (!quiet || a.IsSignalingNaN || b.IsSignalingNaN) env.Flags |= X87Sw.IE;
            return FpCompare.Unordered;
        }
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (a.IsZero && b.IsZero) return FpCompare.Equal;
        if (a.Sign != b.Sign) return a.Sign ? FpCompare.Less : FpCompare.Greater;
        int mag = CompareMagnitude(a, b);
        if (a.Sign) mag = -mag;
        return mag < 0 ? FpCompare.Less : mag > 0 ? FpCompare.Greater : FpCompare.Equal;
    }

    // |a| against |b| for supported non-NaN values (zeros, denormals, pseudo-denormals, normals, infinities).
    private static int CompareMagnitude(Float80 a, Float80 b)
    {
        if (a.IsZero) return b.IsZero ? 0 : -1;
        if (b.IsZero) return 1;
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        if (ea != eb) return ea < eb ? -1 : 1;
        return sa.CompareTo(sb);
    }

    /// <summary>
    /// FXAM's class in C3, C2, C0 (SDM Vol. 2A FXAM): unsupported 000, NaN 001, normal 010, infinity 011, zero 100,
    /// empty 101, denormal 110 (pseudo-denormals included). C1 is the sign, set by the caller.
    /// </summary>
    internal static int Examine(Float80 x, bool empty)
    {
        int cls;
        if (empty) cls = 0b101;
        else if (x.Exponent == MaxExp) cls = !x.IntegerBit ? 0b000 : (x.Significand << 1) == 0 ? 0b011 : 0b001;
        else if (x.Exponent == 0) cls = x.Significand == 0 ? 0b100 : 0b110;
        else cls = x.IntegerBit ? 0b010 : 0b000;
        return ((cls & 0b100) != 0 ? X87Sw.C3 : 0) | ((cls & 0b010) != 0 ? X87Sw.C2 : 0) | ((cls & 0b001) != 0 ? X87Sw.C0 : 0);
    }

    /// <summary>
    /// FPREM (<paramref name="roundNearest"/> false: truncating quotient) and FPREM1 (IEEE remainder): the partial
    /// remainder of a by b and the condition codes (SDM Vol. 2A FPREM, FPREM1). When the exponents differ by 64 or
    /// more, the reduction is partial (C2 = 1) by 2^(D − N) for an implementation-dependent N in 32–63 (here 32 + D mod 32);
    /// the result is exact either way. <paramref name="conditionCodes"/> is −1 for a NaN or invalid result (C0 and C3 kept).
    /// </summary>
    internal static Float80 Remainder(Float80 a, Float80 b, bool roundNearest, ref FpEnv env, out int conditionCodes)
    {
        conditionCodes = -1; // NaN or invalid results leave C0 and C3, clear C1 and C2
        if (CheckNaN(a, b, ref env, out var nan)) return nan;
        if (a.IsInfinity || b.IsZero) return Invalid(ref env); // before the denormal check, as the processor does
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (env.DenormalFault) return default;
        conditionCodes = 0;
        if (a.IsZero || b.IsInfinity) return a.IsDenormal ? RoundValue(a, ref env) : a;
        Normalize(a, out int ea, out ulong sa);
        Normalize(b, out int eb, out ulong sb);
        int d = ea - eb;
        if (d < 0)
        {
            // |a| < |b|: quotient 0 (FPREM1 may still round it to 1 when |a| > |b|/2).
            if (!roundNearest || d < -1) return a.IsDenormal ? RoundValue(a, ref env) : a;
        }
        if (d >= 64)
        {
            int n = 32 + (d & 31);
            UInt128 shifted = (UInt128)sa << n;
            UInt128 partial = shifted % sb;
            conditionCodes = X87Sw.C2;
            if (partial == 0) return Float80.SignedZero(a.Sign);
            // partial × 2^(eb − Bias − 63) × 2^(d − n): the reduced value keeps a's sign.
            return RoundPack(a.Sign, eb + (d - n), partial << 64, ref env);
        }
        UInt128 num = d >= 0 ? (UInt128)sa << d : sa;
        UInt128 den = d >= 0 ? sb : (UInt128)sb << 1; // d = −1 (FPREM1 only): compare 2a with 2b·½
        UInt128 q = num / den, r = num % den;
        bool sign = a.Sign;
        if (roundNearest)
        {
            UInt128 twice = r << 1;
            if (twice > den || (twice == den && (q & 1) != 0))
            {
                r = den - r;
                q++;
                sign = !sign;
            }
        }
        ulong ql = (ulong)q;
        conditionCodes = ((ql & 1) != 0 ? X87Sw.C1 : 0) | ((ql & 2) != 0 ? X87Sw.C3 : 0) | ((ql & 4) != 0 ? X87Sw.C0 : 0);
        if (r == 0) return Float80.SignedZero(a.Sign);
        var exact = FpEnv.Masked(0, 64);
        exact.Masks = env.Masks;
        var result = RoundPack(sign, d >= 0 ? eb : eb - 1, r << 64, ref exact);
        env.Flags |= exact.Flags & X87Sw.UE;
        return result;
    }

    /// <summary>FSCALE: a × 2^trunc(b) (SDM Vol. 2A FSCALE table: 0 × 2^+∞ and ∞ × 2^−∞ are invalid).</summary>
    internal static Float80 Scale(Float80 a, Float80 b, ref FpEnv env)
    {
        if (CheckNaN(a, b, ref env, out var nan)) return nan;
        CheckDenormal(a, ref env);
        CheckDenormal(b, ref env);
        if (env.DenormalFault) return default;
        if (b.IsInfinity)
        {
            if (!b.Sign) return a.IsZero ? Invalid(ref env) : a.IsInfinity ? a : Float80.Infinity(a.Sign);
            return a.IsInfinity ? Invalid(ref env) : Float80.SignedZero(a.Sign);
        }
        if (a.IsZero || a.IsInfinity) return a;
        long n = 0;
        if (!b.IsZero)
        {
            Normalize(b, out int eb, out ulong sb);
            int unbiased = eb - Bias;
            n = unbiased < 0 ? 0 : unbiased > 20 ? 1L << 20 : (long)(sb >> (63 - unbiased));
            if (b.Sign) n = -n;
        }
        Normalize(a, out int ea, out ulong sa);
        var scaled = env;
        scaled.Precision = 64;
        var r = RoundPack(a.Sign, (int)(ea + n), (UInt128)sa << 64, ref scaled);
        env.Flags = scaled.Flags;
        env.RoundedUp = scaled.RoundedUp;
        return r;
    }

    /// <summary>FXTRACT: (exponent, significand) of a; of ±0 the exponent is −∞ with ZE (SDM Vol. 2A FXTRACT).</summary>
    internal static (Float80 Exponent, Float80 Significand) Extract(Float80 a, ref FpEnv env)
    {
        if (CheckNaN(a, ref env, out var nan)) return (nan, nan);
        CheckDenormal(a, ref env);
        if (env.DenormalFault) return default;
        if (a.IsZero)
        {
            env.Flags |= X87Sw.ZE;
            return (Float80.Infinity(true), a);
        }
        if (a.IsInfinity) return (Float80.Infinity(false), a);
        Normalize(a, out int e, out ulong s);
        return (FromInt64(e - Bias), new Float80(s, (ushort)((a.Sign ? 0x8000 : 0) | Bias)));
    }
}
