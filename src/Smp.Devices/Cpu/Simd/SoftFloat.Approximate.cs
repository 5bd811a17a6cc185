namespace Smp.Devices.Cpu.Simd;

// RCPPS/RCPSS and RSQRTPS/RSQRTSS. The SDM fixes only a bound (|relative error| ≤ 1.5 × 2^−12) and the special
// cases; Intel and AMD return different bits. This model returns the reciprocal (square root) computed in
// double precision and rounded to single, which is deterministic, far inside the bound, and the same on every
// host (IEEE double division, square root and narrowing are correctly rounded). No MXCSR flag is ever set, and
// MXCSR.RC, DAZ and FTZ do not apply: denormal sources read as zero and tiny results are flushed to zero
// (SDM Vol. 2B RCPPS, RSQRTPS).
internal static partial class SoftFloat
{
    /// <summary>The approximate reciprocal of a single.</summary>
    public static uint Reciprocal(uint a)
    {
        uint sign = a & 0x8000_0000u;
        if (Fmt<Single32>.IsNaN(a)) return a | 0x0040_0000u;
        if ((a & 0x7F80_0000u) == 0) return sign | 0x7F80_0000u;   // ±0 and denormals: ±∞
        if ((a & 0x7FFF_FFFFu) == 0x7F80_0000u) return sign;        // ±∞: ±0
        float r = (float)(1.0 / BitConverter.UInt32BitsToSingle(a));
        uint bits = BitConverter.SingleToUInt32Bits(r);
        return (bits & 0x7F80_0000u) == 0 ? sign : bits;            // tiny results flush to zero
    }

    /// <summary>The approximate reciprocal square root of a single: ±0 and denormals give ±∞, negative values the QNaN indefinite.</summary>
    public static uint ReciprocalSqrt(uint a)
    {
        uint sign = a & 0x8000_0000u;
        if (Fmt<Single32>.IsNaN(a)) return a | 0x0040_0000u;
        if ((a & 0x7F80_0000u) == 0) return sign | 0x7F80_0000u;
        if (sign != 0) return 0xFFC0_0000u;
        if (a == 0x7F80_0000u) return 0;
        return BitConverter.SingleToUInt32Bits((float)(1.0 / Math.Sqrt(BitConverter.UInt32BitsToSingle(a))));
    }
}
