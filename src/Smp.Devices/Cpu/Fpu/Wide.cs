using System.Numerics;

namespace Smp.Devices.Cpu.Fpu;

/// <summary>
/// A 128-bit-significand binary float for the transcendental instructions: value = ±M × 2^(E − 127) with M
/// normalized (bit 127 set) or zero. Enough guard bits (64 beyond the register format) that series evaluated in it
/// round to the x87's 64-bit results within the documented accuracy. Truncating arithmetic; no host floating point.
/// </summary>
internal readonly struct Wide
{
    public readonly bool Sign;
    public readonly int Exp;
    public readonly UInt128 M;

    public Wide(bool sign, int exp, UInt128 m)
    {
        if (m == 0)
        {
            Sign = sign;
            Exp = 0;
            M = 0;
            return;
        }
        int lz = LeadingZeros(m);
        Sign = sign;
        Exp = exp - lz;
        M = m << lz;
    }

    public bool IsZero => M == 0;

    public static Wide Zero => default;

    public static Wide One => new(false, 0, UInt128.One << 127);

    /// <summary>A finite nonzero register value, exactly.</summary>
    public static Wide From(Float80 x)
    {
        if (x.IsZero) return new Wide(x.Sign, 0, 0);
        X87Math.Normalize(x, out int e, out ulong s);
        return new Wide(x.Sign, e - Float80.Bias, (UInt128)s << 64);
    }

    /// <summary>A small integer, exactly.</summary>
    public static Wide FromInt(long n) => new(n < 0, 127, (UInt128)(ulong)Math.Abs(n));

    public Wide Negate() => new(!Sign, Exp, M);

    public Wide Abs() => new(false, Exp, M);

    public Wide Scale(int n) => IsZero ? this : new Wide(Sign, Exp + n, M);

    private static int LeadingZeros(UInt128 v)
    {
        ulong hi = (ulong)(v >> 64);
        return hi != 0 ? BitOperations.LeadingZeroCount(hi) : 64 + BitOperations.LeadingZeroCount((ulong)v);
    }

    public static Wide operator *(Wide a, Wide b)
    {
        if (a.IsZero || b.IsZero) return new Wide(a.Sign != b.Sign, 0, 0);
        // The high 128 bits of the 256-bit product.
        ulong a1 = (ulong)(a.M >> 64), a0 = (ulong)a.M, b1 = (ulong)(b.M >> 64), b0 = (ulong)b.M;
        UInt128 hh = (UInt128)a1 * b1, hl = (UInt128)a1 * b0, lh = (UInt128)a0 * b1, ll = (UInt128)a0 * b0;
        UInt128 mid = (hl & ulong.MaxValue) + (lh & ulong.MaxValue) + (ll >> 64);
        UInt128 hi = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
        return new Wide(a.Sign != b.Sign, a.Exp + b.Exp + 1, hi);
    }

    public static Wide operator +(Wide a, Wide b)
    {
        if (a.IsZero) return b;
        if (b.IsZero) return a;
        if (a.Exp < b.Exp || (a.Exp == b.Exp && a.M < b.M)) (a, b) = (b, a);
        int d = a.Exp - b.Exp;
        // One guard bit of headroom: work with the significands shifted right by one.
        UInt128 big = a.M >> 1, small = d + 1 >= 128 ? 0 : b.M >> (d + 1);
        if (a.Sign == b.Sign) return new Wide(a.Sign, a.Exp + 1, big + small);
        return new Wide(a.Sign, a.Exp + 1, big - small);
    }

    public static Wide operator -(Wide a, Wide b) => a + b.Negate();

    /// <summary>Divides by a positive integer.</summary>
    public Wide DivInt(ulong n)
    {
        if (IsZero) return this;
        // (M × 2^64) / n keeps 128 quotient bits or more.
        UInt128 hi = M / n, rem = M % n;
        UInt128 lo = ((rem << 64) | 0) / n;
        int lz = LeadingZeros(hi);
        UInt128 q = lz >= 64 ? (hi << 64) | lo : (hi << lz) | (lo >> (64 - lz));
        return lz >= 64 ? new Wide(Sign, Exp - 64, q) : new Wide(Sign, Exp - lz, q);
    }

    public static Wide operator /(Wide a, Wide b)
    {
        if (a.IsZero) return a;
        // Restoring division, 128 quotient bits (a.M and b.M both normalized).
        UInt128 r = a.M, d = b.M, q = 0;
        int exp = a.Exp - b.Exp;
        bool carry;
        if (r >= d)
        {
            q = 1;
            r -= d;
        }
        for (int i = 0; i < 127; i++)
        {
            carry = (r >> 127) != 0;
            r <<= 1;
            q <<= 1;
            if (carry || r >= d)
            {
                r -= d;
                q |= 1;
            }
        }
        return new Wide(a.Sign != b.Sign, exp, q);
    }

    /// <summary>The value rounded to the register format with the context's rounding (64-bit precision), setting PE/UE/OE and C1.</summary>
    public Float80 Round(ref FpEnv env)
    {
        if (IsZero) return Float80.SignedZero(Sign);
        // The truncated tail of every operation is below the 128th bit: inexact whenever more than 64 bits are used.
        return X87Math.RoundPack(Sign, Exp + Float80.Bias, M | 1, ref env);
    }

    /// <summary>The integer nearest to the value (|value| &lt; 2^63).</summary>
    public long RoundToInteger()
    {
        if (IsZero || Exp < -1) return 0;
        int shift = 127 - Exp;
        UInt128 whole = shift >= 128 ? 0 : M >> shift;
        bool half = shift >= 1 && shift <= 128 && ((M >> (shift - 1)) & 1) != 0;
        long n = (long)(ulong)whole + (half ? 1 : 0);
        return Sign ? -n : n;
    }

    /// <summary>True when |a| &gt; |b|.</summary>
    public static bool MagnitudeGreater(Wide a, Wide b) =>
        !a.IsZero && (b.IsZero || a.Exp > b.Exp || (a.Exp == b.Exp && a.M > b.M));
}
