using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu;

/// <summary>
/// Exact conversions between clocks (cycles, nanoseconds, ticks): ⌊a·b/c⌋ and ⌈a·b/c⌉ over the full 128-bit product.
/// Clocks are read on every port access and every quantum, and the product almost always fits in 64 bits, so that case
/// costs one multiply and one 64-bit division; the 128-bit division (a slow library call) is kept for the rest. Equal
/// rates (the default 1 GHz CPU clock against nanoseconds) cost no division.
/// </summary>
public static class ClockMath
{
    /// <summary>⌊<paramref name="a"/> × <paramref name="b"/> / <paramref name="c"/>⌋, exact (the result must fit in 64 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MulDiv(ulong a, ulong b, ulong c)
    {
        if (b == c) return a; // the same rate (a 1 GHz CPU's cycles and nanoseconds): no division at all
        ulong hi = Math.BigMul(a, b, out ulong lo);
        return hi == 0 ? lo / c : (ulong)((UInt128)a * b / c);
    }

    /// <summary>⌈<paramref name="a"/> × <paramref name="b"/> / <paramref name="c"/>⌉, exact (the result must fit in 64 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MulDivCeiling(ulong a, ulong b, ulong c)
    {
        if (b == c) return a;
        ulong hi = Math.BigMul(a, b, out ulong lo);
        return hi == 0 && lo <= ulong.MaxValue - (c - 1) ? (lo + c - 1) / c : (ulong)(((UInt128)a * b + c - 1) / c);
    }
}
