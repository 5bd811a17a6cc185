using System.Numerics;
using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// IEEE 754 binary32/binary64 arithmetic exactly as SSE performs it: every MXCSR rounding mode, DAZ, FTZ,
/// the six exception flags and the SDM's NaN rules (SDM Vol. 1 §4.8, §10.2.3, §11.5). Written with integer
/// arithmetic because .NET's float and double only round to nearest, do not report inexact, underflow or
/// overflow, and may commute operands (which changes which NaN an x86 returns); the host's IEEE arithmetic is
/// used nowhere in results that the SDM defines bit for bit.
/// </summary>
/// <remarks>
/// Finite nonzero values are handled unpacked: a significand <c>sig</c> with its leading one at bit 62 and a
/// biased exponent <c>exp</c> that may leave the format's range, the value being sig × 2^(exp − bias − 62).
/// Below the result's last place there are 62 − fraction bits (39 for singles, 10 for doubles) of guard bits,
/// and bits shifted out are ORed into bit 0 ("jamming"), which keeps every rounding decision exact.
/// </remarks>
internal static partial class SoftFloat
{
    /// <summary>DAZ: a denormal source reads as a zero of its sign, before any exception check (SDM Vol. 1 §10.2.3.4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Daz<F>(ulong a, in SseFp env) where F : struct, IFloatFormat =>
        env.Daz && Fmt<F>.IsDenormal(a) ? a & Fmt<F>.SignBit : a;

    /// <summary>
    /// The result of an operation with a NaN source: the first source if it is a NaN, else the second, made quiet;
    /// IE when either is an SNaN (SDM Vol. 1 Table 4-7, SSE column).
    /// </summary>
    public static ulong PropagateNaN<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat
    {
        if (Fmt<F>.IsSNaN(a) || Fmt<F>.IsSNaN(b)) env.Flags |= Mxcsr.IE;
        return (Fmt<F>.IsNaN(a) ? a : b) | Fmt<F>.QuietBit;
    }

    /// <summary>Sets DE when either source is a denormal (DAZ has already replaced them when it is on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DenormalCheck<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat
    {
        if (Fmt<F>.IsDenormal(a) || Fmt<F>.IsDenormal(b)) env.Flags |= Mxcsr.DE;
    }

    /// <summary>Unpacks a finite nonzero value: returns the biased exponent (below 1 for denormals) and the significand normalised to bit 62.</summary>
    public static int Unpack<F>(ulong a, out ulong sig) where F : struct, IFloatFormat
    {
        int exp = Fmt<F>.Exp(a);
        ulong frac = a & Fmt<F>.FracMask;
        if (exp != 0)
        {
            sig = (frac | (1UL << Fmt<F>.Frac)) << (62 - Fmt<F>.Frac);
            return exp;
        }
        int lz = BitOperations.LeadingZeroCount(frac);
        sig = frac << (lz - 1);
        return 64 - Fmt<F>.Frac - lz;
    }

    /// <summary>Shifts right by <paramref name="dist"/>, ORing every bit shifted out into bit 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ShiftRightJam(ulong a, int dist) =>
        dist <= 0 ? a
        : dist < 64 ? (a >> dist) | ((a << (64 - dist)) != 0 ? 1UL : 0)
        : a != 0 ? 1UL : 0;

    /// <summary>Normalises a nonzero significand at any position to bit 62, then rounds and packs.</summary>
    public static ulong NormRoundPack<F>(bool sign, int exp, ulong sig, ref SseFp env) where F : struct, IFloatFormat
    {
        int lz = BitOperations.LeadingZeroCount(sig);
        if (lz == 0) return RoundPack<F>(sign, exp + 1, (sig >> 1) | (sig & 1), ref env);
        return RoundPack<F>(sign, exp - (lz - 1), sig << (lz - 1), ref env);
    }

    /// <summary>
    /// Rounds sig × 2^(exp − bias − 62) (sig normalised to bit 62, sticky in bit 0) to the format under the
    /// environment's rounding mode and packs it, raising OE, UE and PE as SSE does (SDM Vol. 1 §4.9.1.4–6,
    /// §10.2.3.3, §11.5.2.4–6):
    /// tininess is detected after rounding (the result rounded with an unbounded exponent is below the smallest
    /// normal); a masked underflow is reported only with an inexact result, or always with FTZ, which returns a
    /// zero of the result's sign and sets UE and PE; a masked overflow returns ∞ or the largest finite value by
    /// rounding mode and sets OE and PE. An unmasked overflow or underflow only sets its flag (and PE when the
    /// exponent-unbounded rounding is inexact): the instruction then writes no result.
    /// </summary>
    public static ulong RoundPack<F>(bool sign, int exp, ulong sig, ref SseFp env) where F : struct, IFloatFormat
    {
        int extra = 62 - Fmt<F>.Frac;
        ulong roundMask = (1UL << extra) - 1;
        ulong half = 1UL << (extra - 1);
        ulong increment = env.Rounding switch
        {
            Mxcsr.RoundNearest => half,
            Mxcsr.RoundDown => sign ? roundMask : 0,
            Mxcsr.RoundUp => sign ? 0 : roundMask,
            _ => 0,
        };
        ulong signBits = sign ? Fmt<F>.SignBit : 0;
        ulong rem = sig & roundMask;
        if (exp <= 0)
        {
            bool tiny = exp < 0 || sig + increment < (1UL << 63);
            if (tiny)
            {
                if (env.Unmasked(Mxcsr.UE))
                {
                    env.Flags |= Mxcsr.UE | (rem != 0 ? Mxcsr.PE : 0);
                    return signBits;
                }
                if (env.Ftz)
                {
                    env.Flags |= Mxcsr.UE | Mxcsr.PE;
                    return signBits;
                }
                sig = ShiftRightJam(sig, 1 - exp);
                rem = sig & roundMask;
                ulong d = (sig + increment) >> extra;
                if (env.Rounding == Mxcsr.RoundNearest && rem == half) d &= ~1UL;
                if (rem != 0) env.Flags |= Mxcsr.UE | Mxcsr.PE;
                // A denormal that rounds up to 2^emin carries into the exponent field by itself.
                return signBits + d;
            }
        }
        ulong r = (sig + increment) >> extra;
        if (env.Rounding == Mxcsr.RoundNearest && rem == half) r &= ~1UL;
        if (r >= (2UL << Fmt<F>.Frac))
        {
            r >>= 1;
            exp++;
        }
        if (exp >= Fmt<F>.MaxExp)
        {
            env.Flags |= Mxcsr.OE;
            if (env.Unmasked(Mxcsr.OE))
            {
                if (rem != 0) env.Flags |= Mxcsr.PE;
                return signBits;
            }
            env.Flags |= Mxcsr.PE;
            bool toLargest = env.Rounding == Mxcsr.RoundZero
                || (env.Rounding == Mxcsr.RoundDown && !sign) || (env.Rounding == Mxcsr.RoundUp && sign);
            return signBits | (toLargest ? Fmt<F>.ExpMask - 1 : Fmt<F>.ExpMask);
        }
        if (rem != 0) env.Flags |= Mxcsr.PE;
        return signBits | ((ulong)exp << Fmt<F>.Frac) | (r & Fmt<F>.FracMask);
    }

    /// <summary>Passes an exact finite result through the underflow rules (a denormal result is tiny: FTZ or unmasked UE apply).</summary>
    public static ulong Exact<F>(ulong a, ref SseFp env) where F : struct, IFloatFormat
    {
        if (!Fmt<F>.IsDenormal(a)) return a;
        int exp = Unpack<F>(a, out ulong sig);
        return RoundPack<F>(Fmt<F>.Sign(a), exp, sig, ref env);
    }
}
