namespace Smp.Devices.Tests.Differential;

/// <summary>
/// Seeded source of floating-point bit patterns that exercise every IEEE case the SSE instructions treat specially:
/// signed zeros, infinities, quiet and signalling NaNs with random payloads, denormals, the smallest and largest
/// normals, values whose results overflow or underflow, small integers and halves (rounding ties), values around
/// the 32- and 64-bit integer limits (conversions), and random values over the whole exponent range.
/// </summary>
internal sealed class FpValueGenerator(int seed)
{
    private readonly Random rng = new(seed);

    /// <summary>A random 32- or 64-bit pattern of <paramref name="bits"/> bits.</summary>
    public ulong Next(int bits) => bits == 32 ? Next(8, 23) : Next(11, 52);

    /// <summary>Uniform random bits.</summary>
    public ulong Bits() => (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 62);

    /// <summary>A random integer in [0, n).</summary>
    public int Int(int n) => rng.Next(n);

    private ulong Next(int expBits, int fracBits)
    {
        int bias = (1 << (expBits - 1)) - 1, maxExp = (1 << expBits) - 1;
        ulong fracMask = (1UL << fracBits) - 1;
        ulong sign = rng.Next(2) == 0 ? 0 : 1UL << (expBits + fracBits);
        ulong Pack(int exp, ulong frac) => sign | ((ulong)exp << fracBits) | (frac & fracMask);
        ulong frac = Bits() & fracMask;
        int k = rng.Next(100);
        switch (k)
        {
            case < 4: return sign;
            case < 7: return Pack(maxExp, 0);
            case < 10: return Pack(maxExp, (frac | (1UL << (fracBits - 1))) == 0 ? 1 : frac | (1UL << (fracBits - 1)));   // QNaN
            case < 13: return Pack(maxExp, (frac & (fracMask >> 1)) == 0 ? 1 : frac & (fracMask >> 1));                   // SNaN
            case < 22: return Pack(0, frac == 0 ? 1 : rng.Next(3) == 0 ? frac >> rng.Next(fracBits) | 1 : frac);         // denormal
            case < 26: return Pack(rng.Next(1, 4), rng.Next(2) == 0 ? 0 : frac);                                          // smallest normals
            case < 30: return Pack(maxExp - 1 - rng.Next(3), rng.Next(2) == 0 ? fracMask : frac);                          // largest normals
            case < 42:
            {
                // Small integers, halves and quarters: ties for every rounding mode.
                double v = rng.Next(0, 40) + rng.Next(4) * 0.25;
                return sign | (fracBits == 23 ? BitConverter.SingleToUInt32Bits((float)v) : BitConverter.DoubleToUInt64Bits(v));
            }
            case < 50:
            {
                // Around the integer limits: 2^31, 2^32, 2^63, 2^64 and their neighbours.
                int[] powers = [30, 31, 32, 62, 63, 64];
                int e = powers[rng.Next(powers.Length)] + bias;
                ulong f = rng.Next(3) switch { 0 => 0, 1 => fracMask, _ => frac };
                return Pack(e - rng.Next(2), f);
            }
            case < 65: return Pack(rng.Next(bias - 40, bias + 40), frac);                                                 // ordinary magnitudes
            case < 75: return Pack(rng.Next(1, bias / 2 + 2), frac);                                                       // products/quotients underflow
            case < 80: return Pack(rng.Next(bias + bias / 2, maxExp), frac);                                              // products overflow
            default: return Pack(rng.Next(0, maxExp), frac);
        }
    }
}
