using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// Deterministic x87 inputs for differential tests: 80-bit values of every class (zeros, denormals, pseudo-denormals,
/// unnormals, normals around the 24/53/64-bit rounding points, integers near the conversion limits, infinities,
/// pseudo-infinities, QNaNs, SNaNs, pseudo-NaNs), memory operands in every format, and FCW/FSW/tag states with every
/// rounding and precision mode, masked and unmasked exceptions and empty/full stacks.
/// </summary>
internal sealed class X87OperandGenerator(int seed)
{
    private readonly Random rng = new(seed);

    public int Next(int n) => rng.Next(n);

    public int Next(int from, int to) => rng.Next(from, to);

    private ulong Random64() => ((ulong)(uint)rng.Next() << 33) ^ ((ulong)(uint)rng.Next() << 11) ^ (uint)rng.Next();

    /// <summary>An 80-bit value as (significand, sign/exponent).</summary>
    public (ulong Significand, ushort SignExponent) NextFloat80()
    {
        ushort sign = (ushort)(rng.Next(2) << 15);
        ulong r = Random64();
        int k = rng.Next(100);
        (ulong m, int e) v = k switch
        {
            < 4 => (0, 0),                                                        // zero
            < 8 => (r >> (1 + rng.Next(63)), 0),                                  // denormal
            < 9 => (r | 1UL << 63, 0),                                            // pseudo-denormal
            < 11 => (r & ~(1UL << 63), 1 + rng.Next(0x7FFE)),                     // unnormal
            < 14 => (1UL << 63, 0x7FFF),                                          // infinity
            < 15 => (0, 0x7FFF),                                                  // pseudo-infinity
            < 18 => (r | 3UL << 62, 0x7FFF),                                      // QNaN
            < 21 => ((r & ~(1UL << 62)) | 1UL << 63 | 1, 0x7FFF),                 // SNaN
            < 22 => (r & ~(1UL << 63) | 1, 0x7FFF),                               // pseudo-NaN
            < 24 => (0xC000_0000_0000_0000, 0x7FFF),                              // indefinite
            < 30 => (RoundingEdge(r), 0x3FFF + rng.Next(-70, 70)),                // near a rounding point
            < 36 => (r | 1UL << 63, rng.Next(2) == 0 ? rng.Next(1, 40) : 0x7FFE - rng.Next(40)), // extreme exponents
            < 44 => (r | 1UL << 63, 0x3FFF + 62 + rng.Next(0, 4)),                // near 2^63
            < 52 => (r | 1UL << 63, 0x3FFF + rng.Next(-2, 64)),                   // integers and conversion ranges
            < 58 => SmallInteger(),
            < 62 => (0xDE0B_6B3A_7640_0000 + (ulong)rng.Next(-3, 3) * 0x800, 0x3FFF + 59), // near 10^18 (BCD limit)
            < 66 => (1UL << 63, 0x3FFF + rng.Next(-5, 6)),                        // powers of two
            < 70 => (0xFFFF_FFFF_FFFF_FFFF, 0x3FFF + rng.Next(-5, 6)),            // all ones
            _ => (r | 1UL << 63, 0x3FFF + rng.Next(-300, 300)),                   // ordinary
        };
        return (v.m, (ushort)(sign | (v.e & 0x7FFF)));
    }

    private (ulong, int) SmallInteger()
    {
        long n = rng.Next(-1000, 1000);
        if (n == 0) return (0, 0);
        ulong m = (ulong)Math.Abs(n);
        int lz = System.Numerics.BitOperations.LeadingZeroCount(m);
        return (m << lz, 0x3FFF + 63 - lz);
    }

    // Significands whose bits at the 24-, 53- or 64-bit rounding point are exactly half, just below or just above.
    private ulong RoundingEdge(ulong r)
    {
        int p = rng.Next(3) switch { 0 => 24, 1 => 53, _ => 63 };
        ulong m = r | 1UL << 63;
        int below = 64 - p; // bits dropped at precision p
        if (below <= 0) return m;
        ulong mask = (1UL << below) - 1;
        ulong half = 1UL << (below - 1);
        return (m & ~mask) | (rng.Next(4) switch { 0 => half, 1 => half - 1, 2 => half + 1, _ => 0 });
    }

    /// <summary>A 32-bit float bit pattern (specials, denormals, SNaNs included).</summary>
    public uint NextFloat32()
    {
        uint r = (uint)Random64();
        return rng.Next(10) switch
        {
            0 => r & 0x807F_FFFF,                        // denormal or zero
            1 => (r & 0x8000_0000) | 0x7F80_0000,        // infinity
            2 => (r | 0x7F80_0001) & ~0x0040_0000u,      // SNaN
            3 => r | 0x7FC0_0000,                        // QNaN
            4 => (r & 0x807F_FFFF) | (uint)rng.Next(1, 255) << 23,
            _ => (r & 0x807F_FFFF) | (uint)(127 + rng.Next(-30, 30)) << 23,
        };
    }

    /// <summary>A 64-bit float bit pattern.</summary>
    public ulong NextFloat64()
    {
        ulong r = Random64();
        return rng.Next(10) switch
        {
            0 => r & 0x800F_FFFF_FFFF_FFFF,
            1 => (r & 0x8000_0000_0000_0000) | 0x7FF0_0000_0000_0000,
            2 => (r | 0x7FF0_0000_0000_0001) & ~0x0008_0000_0000_0000UL,
            3 => r | 0x7FF8_0000_0000_0000,
            4 => (r & 0x800F_FFFF_FFFF_FFFF) | (ulong)rng.Next(1, 2047) << 52,
            _ => (r & 0x800F_FFFF_FFFF_FFFF) | (ulong)(1023 + rng.Next(-60, 60)) << 52,
        };
    }

    /// <summary>An integer of <paramref name="bytes"/> bytes (boundaries and random).</summary>
    public ulong NextInteger(int bytes)
    {
        ulong mask = bytes == 8 ? ulong.MaxValue : (1UL << (8 * bytes)) - 1;
        ulong sign = 1UL << (8 * bytes - 1);
        return rng.Next(4) switch
        {
            0 => new ulong[] { 0, 1, mask, sign, sign - 1 }[rng.Next(5)],
            1 => (ulong)rng.Next(-100, 100) & mask,
            _ => Random64() & mask,
        };
    }

    /// <summary>A packed BCD operand: mostly valid digits, a sign, sometimes zero.</summary>
    public (ulong Low, ushort High) NextBcd()
    {
        ulong low = 0;
        int digits = rng.Next(19);
        for (int i = 0; i < 16; i++)
            if (i < digits) low |= (ulong)rng.Next(10) << (4 * i);
        ushort high = (ushort)(digits > 16 ? rng.Next(10) | (digits > 17 ? rng.Next(10) << 4 : 0) : 0);
        if (rng.Next(2) == 0) high |= 0x8000;
        return (low, high);
    }

    /// <summary>
    /// An FXSAVE image for an x87 test: random FCW (all rounding and precision modes; mostly every exception masked),
    /// sticky flags that are masked (nothing pending), random condition codes and TOP, and tags that keep ST(0)/ST(1)
    /// mostly valid and ST(7) mostly empty (with stack faults in the rest).
    /// </summary>
    public FxsaveImage NextImage()
    {
        var f = FxsaveImage.CreateDefault();
        int rc = rng.Next(4);
        int pc = rng.Next(3) switch { 0 => 0, 1 => 2, _ => 3 };
        int masks = rng.Next(3) == 0 ? rng.Next(64) : 0x3F;
        f.Fcw = (ushort)(0x0040 | masks | pc << 8 | rc << 10);
        int top = rng.Next(8);
        int flags = rng.Next(3) == 0 ? rng.Next(64) & masks : 0;
        int cc = rng.Next(16);
        f.Fsw = (ushort)(flags | top << 11 | (cc & 7) << 8 | (cc >> 3) << 14);
        byte tags = 0;
        for (int i = 0; i < 8; i++)
        {
            int phys = (top + i) & 7;
            int pFull = i switch { 0 => 92, 1 => 85, 7 => 10, _ => 60 };
            if (rng.Next(100) < pFull) tags |= (byte)(1 << phys);
            var (m, se) = NextFloat80();
            f.SetSt(i, m, se);
        }
        f.Ftw = tags;
        return f;
    }
}
