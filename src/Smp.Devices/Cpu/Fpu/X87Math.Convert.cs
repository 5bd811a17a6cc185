using System.Numerics;

namespace Smp.Devices.Cpu.Fpu;

// Conversions between the register format and the memory formats: integers (FILD/FIST/FISTP/FISTTP), single and
// double precision (FLD/FST m32/m64), packed BCD (FBLD/FBSTP), and rounding to an integer value (FRNDINT).
internal static partial class X87Math
{
    /// <summary>The integer indefinite stored by a masked invalid FIST/FISTP/FISTTP (SDM Vol. 1 §4.8.3.7): the most negative value.</summary>
    internal static ulong IntegerIndefinite(int bytes) => 1UL << (8 * bytes - 1);

    /// <summary>An integer, exactly (FILD).</summary>
    internal static Float80 FromInt64(long v)
    {
        if (v == 0) return Float80.Zero;
        bool sign = v < 0;
        ulong m = sign ? (ulong)-v : (ulong)v; // −2^63 negates to itself, which is its magnitude as unsigned
        int lz = BitOperations.LeadingZeroCount(m);
        return new Float80(m << lz, (ushort)((sign ? 0x8000 : 0) | (Bias + 63 - lz)));
    }

    /// <summary>
    /// A single- or double-precision value, exactly (FLD m32/m64): SNaN raises IE and is quieted, denormals raise DE.
    /// An arithmetic source operand (<paramref name="operand"/>) keeps its SNaN unquieted and leaves DE to the operation
    /// (<see cref="IsDenormalBinary"/>), which raises it only after its NaN checks.
    /// </summary>
    internal static Float80 FromBinary(ulong bits, int fractionBits, int exponentBits, ref FpEnv env, bool operand = false)
    {
        int totalBits = 1 + exponentBits + fractionBits;
        bool sign = ((bits >> (totalBits - 1)) & 1) != 0;
        int maxE = (1 << exponentBits) - 1, bias = maxE >> 1;
        int e = (int)((bits >> fractionBits) & (ulong)maxE);
        ulong frac = bits & ((1UL << fractionBits) - 1);
        ushort s = (ushort)(sign ? 0x8000 : 0);
        if (e == maxE)
        {
            if (frac == 0) return Float80.Infinity(sign);
            var nan = new Float80(0x8000_0000_0000_0000 | (frac << (63 - fractionBits)), (ushort)(s | MaxExp));
            if (operand) return nan;
            if (nan.IsSignalingNaN) env.Flags |= X87Sw.IE;
            return nan.Quiet;
        }
        if (e == 0)
        {
            if (frac == 0) return Float80.SignedZero(sign);
            if (!operand) env.Flags |= X87Sw.DE;
            int lz = BitOperations.LeadingZeroCount(frac);
            // frac × 2^(1 − bias − fractionBits), normalized.
            return new Float80(frac << lz, (ushort)(s | (Bias + 1 - bias + (63 - fractionBits) - lz)));
        }
        return new Float80((0x8000_0000_0000_0000 | (frac << (63 - fractionBits))), (ushort)(s | (e - bias + Bias)));
    }

    /// <summary>True when a single/double bit pattern is a denormal (exponent 0, fraction nonzero).</summary>
    internal static bool IsDenormalBinary(ulong bits, int fractionBits, int exponentBits) =>
        ((bits >> fractionBits) & ((1UL << exponentBits) - 1)) == 0 && (bits & ((1UL << fractionBits) - 1)) != 0;

    /// <summary>
    /// Rounds to single or double precision for FST/FSTP m32/m64 (SDM Vol. 2A FST): SNaN raises IE and stores the quieted
    /// NaN with a truncated significand, an unsupported encoding raises IE and stores the indefinite (a denormal source
    /// raises nothing); OE/UE/PE as for any rounding to the memory format.
    /// </summary>
    internal static ulong ToBinary(Float80 x, int fractionBits, int exponentBits, ref FpEnv env)
    {
        int totalBits = 1 + exponentBits + fractionBits;
        int maxE = (1 << exponentBits) - 1, bias = maxE >> 1;
        ulong signBit = x.Sign ? 1UL << (totalBits - 1) : 0;
        ulong expField(int e) => (ulong)e << fractionBits;
        ulong fracMask = (1UL << fractionBits) - 1;
        if (x.IsUnsupported)
        {
            env.Flags |= X87Sw.IE;
            return (1UL << (totalBits - 1)) | expField(maxE) | (1UL << (fractionBits - 1));
        }
        if (x.Exponent == MaxExp)
        {
            if (x.IsInfinity) return signBit | expField(maxE);
            if (x.IsSignalingNaN) env.Flags |= X87Sw.IE;
            return signBit | expField(maxE) | ((x.Quiet.Significand << 1) >> (64 - fractionBits));
        }
        if (x.IsZero) return signBit;
        Normalize(x, out int e, out ulong s);
        int p = fractionBits + 1;
        var target = env;
        target.Precision = p;
        var (re, rm) = Round(x.Sign, e - Bias + bias, (UInt128)s << 64, p, maxE, bias, exponentBits == 8 ? 192 : 1536, ref target);
        env.Flags = target.Flags;
        env.RoundedUp = target.RoundedUp;
        return signBit | expField(re & maxE) | (rm & fracMask);
    }

    /// <summary>
    /// Rounds <paramref name="x"/> to an integer by <paramref name="rc"/> and checks it fits a signed integer of
    /// <paramref name="bytes"/> bytes (FIST/FISTP; FISTTP passes rc = 3). Returns false after raising IE for NaNs,
    /// infinities, unsupported encodings and out-of-range values; PE and C1 report rounding.
    /// </summary>
    internal static bool ToInteger(Float80 x, int bytes, int rc, ref FpEnv env, out long value)
    {
        value = 0;
        if (x.IsUnsupported || x.Exponent == MaxExp)
        {
            env.Flags |= X87Sw.IE;
            return false;
        }
        if (x.IsZero) return true;
        if (!RoundToIntegerMagnitude(x, rc, out UInt128 mag, out bool inexact, out bool up))
        {
            env.Flags |= X87Sw.IE;
            return false;
        }
        UInt128 limit = (UInt128.One << (8 * bytes - 1)) - (x.Sign ? UInt128.Zero : UInt128.One);
        if (mag > limit)
        {
            env.Flags |= X87Sw.IE;
            return false;
        }
        if (inexact)
        {
            env.Flags |= X87Sw.PE;
            env.RoundedUp = up;
        }
        value = x.Sign ? -(long)(ulong)mag : (long)(ulong)mag;
        return true;
    }

    // |x| rounded to an integer (direction by the sign of x); false when it does not fit in 2^64 + a bit.
    private static bool RoundToIntegerMagnitude(Float80 x, int rc, out UInt128 mag, out bool inexact, out bool up)
    {
        Normalize(x, out int e, out ulong s);
        int unbiased = e - Bias;
        inexact = up = false;
        if (unbiased >= 64)
        {
            mag = 0;
            return false;
        }
        if (unbiased >= 63)
        {
            mag = s;
            return true;
        }
        // s × 2^(unbiased − 63): the integer part and the fraction as a 128-bit fixed point.
        UInt128 fixedPoint = ShiftRightJam((UInt128)s << 64, 63 - unbiased);
        var (kept, inx, u) = RoundBits(fixedPoint, 64, x.Sign, rc);
        mag = kept;
        inexact = inx;
        up = u;
        return true;
    }

    /// <summary>FRNDINT: <paramref name="x"/> rounded to an integral value in the current rounding mode (64-bit precision).</summary>
    internal static Float80 RoundToIntegral(Float80 x, ref FpEnv env)
    {
        if (CheckNaN(x, ref env, out var nan)) return nan;
        if (x.IsInfinity || x.IsZero) return x;
        CheckDenormal(x, ref env);
        if (env.DenormalFault) return default;
        Normalize(x, out int e, out ulong s);
        if (e - Bias >= 63) return new Float80(s, (ushort)((x.Sign ? 0x8000 : 0) | e));
        RoundToIntegerMagnitude(x, env.Rc, out UInt128 mag, out bool inexact, out bool up);
        if (inexact)
        {
            env.Flags |= X87Sw.PE;
            env.RoundedUp = up;
        }
        if (mag == 0) return Float80.SignedZero(x.Sign);
        int lz = LeadingZeros(mag) - 64;
        return new Float80((ulong)mag << lz, (ushort)((x.Sign ? 0x8000 : 0) | (Bias + 63 - lz)));
    }

    // ---- packed BCD (SDM Vol. 1 §4.7, Figure 4-10) ------------------------------------------------------

    /// <summary>FBLD: 18 BCD digits in bytes 0–8 and the sign in bit 79, exactly. Invalid digits give an undefined value (here: taken at face value).</summary>
    internal static Float80 FromBcd(ulong low, ushort high)
    {
        ulong v = 0, scale = 1;
        UInt128 digits = ((UInt128)(high & 0xFF) << 64) | low;
        for (int i = 0; i < 18; i++)
        {
            v += (ulong)((digits >> (4 * i)) & 0xF) * scale;
            scale *= 10;
        }
        var r = FromInt64((long)v);
        return (high & 0x8000) != 0 ? r.Negate : r;
    }

    /// <summary>
    /// FBSTP: <paramref name="x"/> rounded to an integer by the rounding mode and stored as 18 BCD digits with its sign;
    /// NaNs, infinities, unsupported encodings and magnitudes of 10^18 or more raise IE (false).
    /// </summary>
    internal static bool ToBcd(Float80 x, ref FpEnv env, out ulong low, out ushort high)
    {
        low = 0;
        high = (ushort)(x.Sign ? 0x8000 : 0);
        if (x.IsUnsupported || x.Exponent == MaxExp)
        {
            env.Flags |= X87Sw.IE;
            return false;
        }
        if (x.IsZero) return true;
        if (!RoundToIntegerMagnitude(x, env.Rc, out UInt128 mag, out bool inexact, out bool up) || mag >= 1_000_000_000_000_000_000UL)
        {
            env.Flags |= X87Sw.IE;
            return false;
        }
        if (inexact)
        {
            env.Flags |= X87Sw.PE;
            env.RoundedUp = up;
        }
        ulong v = (ulong)mag;
        UInt128 packed = 0;
        for (int i = 0; i < 18; i++)
        {
            packed |= (UInt128)(v % 10) << (4 * i);
            v /= 10;
        }
        low = (ulong)packed;
        high |= (ushort)(packed >> 64);
        return true;
    }

    /// <summary>The packed BCD indefinite (SDM Vol. 1 §4.8.3.7): bytes 9–7 = FFh FFh C0h, the rest 0.</summary>
    internal static (ulong Low, ushort High) BcdIndefinite => (0xC000_0000_0000_0000, 0xFFFF);
}
