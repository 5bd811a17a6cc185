using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Smp.Devices.Cpu.Simd;

// Packed-integer operations written element by element: products, sums of differences, averages, sign and
// absolute value, and everything that moves data across elements (unpack, pack, horizontal add, PSHUFB).
// Operands are copied to stack spans of `width` bytes (16 for XMM, 8 for MMX) so one routine serves both forms.
internal static class LaneOps
{
    public delegate void Kernel(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r);

    /// <summary>Runs <paramref name="kernel"/> on the 16-byte form.</summary>
    public static Vector128<byte> Run16(Vector128<byte> a, Vector128<byte> b, Kernel kernel)
    {
        Span<byte> x = stackalloc byte[16], y = stackalloc byte[16], r = stackalloc byte[16];
        a.CopyTo(x);
        b.CopyTo(y);
        kernel(x, y, r);
        return Vector128.Create<byte>(r);
    }

    /// <summary>Runs <paramref name="kernel"/> on the 8-byte (MMX) form.</summary>
    public static ulong Run8(ulong a, ulong b, Kernel kernel)
    {
        Span<byte> x = stackalloc byte[8], y = stackalloc byte[8], r = stackalloc byte[8];
        MemoryMarshal.Write(x, in a);
        MemoryMarshal.Write(y, in b);
        kernel(x, y, r);
        return MemoryMarshal.Read<ulong>(r);
    }

    public static ReadOnlySpan<short> W(ReadOnlySpan<byte> s) => MemoryMarshal.Cast<byte, short>(s);
    public static ReadOnlySpan<ushort> UW(ReadOnlySpan<byte> s) => MemoryMarshal.Cast<byte, ushort>(s);
    public static ReadOnlySpan<int> D(ReadOnlySpan<byte> s) => MemoryMarshal.Cast<byte, int>(s);
    public static ReadOnlySpan<uint> UD(ReadOnlySpan<byte> s) => MemoryMarshal.Cast<byte, uint>(s);
    public static Span<short> W(Span<byte> s) => MemoryMarshal.Cast<byte, short>(s);
    public static Span<ushort> UW(Span<byte> s) => MemoryMarshal.Cast<byte, ushort>(s);
    public static Span<int> D(Span<byte> s) => MemoryMarshal.Cast<byte, int>(s);
    public static Span<uint> UD(Span<byte> s) => MemoryMarshal.Cast<byte, uint>(s);
    public static Span<ulong> Q(Span<byte> s) => MemoryMarshal.Cast<byte, ulong>(s);

    // PMULHW/PMULHUW: the high 16 bits of each 32-bit product.
    public static void MulHigh(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 2; i++) W(r)[i] = (short)((W(a)[i] * W(b)[i]) >> 16);
    }

    public static void MulHighUnsigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 2; i++) UW(r)[i] = (ushort)((UW(a)[i] * UW(b)[i]) >> 16);
    }

    // PMADDWD: signed word products, adjacent pairs added into doublewords (0x8000·0x8000 twice wraps to 0x80000000).
    public static void MultiplyAdd(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 4; i++)
            D(r)[i] = (int)((uint)(W(a)[2 * i] * W(b)[2 * i]) + (uint)(W(a)[2 * i + 1] * W(b)[2 * i + 1]));
    }

    // PMULUDQ: the even doublewords multiplied, unsigned, into quadwords. PMULDQ: signed.
    public static void MulEvenUnsigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 8; i++) Q(r)[i] = (ulong)UD(a)[2 * i] * UD(b)[2 * i];
    }

    public static void MulEvenSigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 8; i++) Q(r)[i] = (ulong)((long)D(a)[2 * i] * D(b)[2 * i]);
    }

    // PSADBW: per 8-byte group, the sum of absolute differences in the low word of the quadword, the rest zero.
    public static void SumAbsDiff(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int g = 0; g < r.Length / 8; g++)
        {
            int sum = 0;
            for (int i = 0; i < 8; i++) sum += Math.Abs(a[8 * g + i] - b[8 * g + i]);
            Q(r)[g] = (ulong)sum;
        }
    }

    // PAVGB/PAVGW: unsigned (a + b + 1) >> 1.
    public static void AverageBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length; i++) r[i] = (byte)((a[i] + b[i] + 1) >> 1);
    }

    public static void AverageWords(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 2; i++) UW(r)[i] = (ushort)((UW(a)[i] + UW(b)[i] + 1) >> 1);
    }

    // PSIGNB/W/D: a negated, zeroed or kept by the sign of b.
    public static void SignBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length; i++) r[i] = (sbyte)b[i] < 0 ? (byte)-a[i] : b[i] == 0 ? (byte)0 : a[i];
    }

    public static void SignWords(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 2; i++) W(r)[i] = W(b)[i] < 0 ? (short)-W(a)[i] : W(b)[i] == 0 ? (short)0 : W(a)[i];
    }

    public static void SignDwords(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 4; i++) D(r)[i] = D(b)[i] < 0 ? -D(a)[i] : D(b)[i] == 0 ? 0 : D(a)[i];
    }

    // PABSB/W/D: the absolute value of the source (the most negative value stays as its unsigned magnitude).
    public static void AbsBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length; i++) r[i] = (byte)Math.Abs((int)(sbyte)b[i]);
    }

    public static void AbsWords(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 2; i++) UW(r)[i] = (ushort)Math.Abs((int)W(b)[i]);
    }

    public static void AbsDwords(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 4; i++) UD(r)[i] = (uint)Math.Abs((long)D(b)[i]);
    }

    // PMULHRSW: (a·b >> 14, plus one, >> 1), the low 16 bits.
    public static void MulHighRoundScale(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 2; i++) W(r)[i] = (short)((((W(a)[i] * W(b)[i]) >> 14) + 1) >> 1);
    }

    // PMADDUBSW: unsigned bytes of a times signed bytes of b, adjacent pairs added with signed saturation.
    public static void MultiplyAddUnsignedSigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        for (int i = 0; i < r.Length / 2; i++)
            W(r)[i] = Lanes.SatI16(a[2 * i] * (sbyte)b[2 * i] + a[2 * i + 1] * (sbyte)b[2 * i + 1]);
    }

    // PUNPCKH*: the high halves of a and b interleaved, element size e.
    public static void InterleaveHigh(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r, int e)
    {
        int half = r.Length / 2;
        for (int k = 0; k < half / e; k++)
        {
            a.Slice(half + k * e, e).CopyTo(r.Slice(2 * k * e, e));
            b.Slice(half + k * e, e).CopyTo(r.Slice((2 * k + 1) * e, e));
        }
    }

    // PUNPCKL*: the low halves interleaved.
    public static void InterleaveLow(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r, int e)
    {
        int half = r.Length / 2;
        for (int k = 0; k < half / e; k++)
        {
            a.Slice(k * e, e).CopyTo(r.Slice(2 * k * e, e));
            b.Slice(k * e, e).CopyTo(r.Slice((2 * k + 1) * e, e));
        }
    }

    // PACKSSWB/PACKUSWB: the words of a, then of b, saturated to bytes.
    public static void PackWordsSigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        int n = r.Length / 2;
        for (int i = 0; i < n; i++)
        {
            r[i] = (byte)Lanes.SatI8(W(a)[i]);
            r[n + i] = (byte)Lanes.SatI8(W(b)[i]);
        }
    }

    public static void PackWordsUnsigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        int n = r.Length / 2;
        for (int i = 0; i < n; i++)
        {
            r[i] = Lanes.SatU8(W(a)[i]);
            r[n + i] = Lanes.SatU8(W(b)[i]);
        }
    }

    // PACKSSDW/PACKUSDW: the doublewords of a, then of b, saturated to words.
    public static void PackDwordsSigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        int n = r.Length / 4;
        for (int i = 0; i < n; i++)
        {
            W(r)[i] = Lanes.SatI16(D(a)[i]);
            W(r)[n + i] = Lanes.SatI16(D(b)[i]);
        }
    }

    public static void PackDwordsUnsigned(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        int n = r.Length / 4;
        for (int i = 0; i < n; i++)
        {
            UW(r)[i] = Lanes.SatU16(D(a)[i]);
            UW(r)[n + i] = Lanes.SatU16(D(b)[i]);
        }
    }

    // PHADDW/PHSUBW/PHADDSW/PHSUBSW/PHADDD/PHSUBD: adjacent pairs of a, then of b.
    public static void HorizontalWords(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r, bool subtract, bool saturate)
    {
        int n = r.Length / 4;
        for (int i = 0; i < 2 * n; i++)
        {
            var s = i < n ? W(a) : W(b);
            int k = 2 * (i % n);
            int v = subtract ? s[k] - s[k + 1] : s[k] + s[k + 1];
            W(r)[i] = saturate ? Lanes.SatI16(v) : (short)v;
        }
    }

    public static void HorizontalDwords(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r, bool subtract)
    {
        int n = r.Length / 8;
        for (int i = 0; i < 2 * n; i++)
        {
            var s = i < n ? D(a) : D(b);
            int k = 2 * (i % n);
            D(r)[i] = subtract ? s[k] - s[k + 1] : s[k] + s[k + 1];
        }
    }

    // PSHUFB: each byte selects a byte of a by its low 3 (MMX) or 4 (XMM) bits, or is zero when its bit 7 is set.
    public static void ShuffleBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> r)
    {
        int mask = r.Length - 1;
        for (int i = 0; i < r.Length; i++) r[i] = (b[i] & 0x80) != 0 ? (byte)0 : a[b[i] & mask];
    }
}
