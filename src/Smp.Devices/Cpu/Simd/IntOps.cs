using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// A packed-integer operation of MMX/SSE2/SSSE3/SSE4.1 with its two widths: on 128-bit XMM operands and on 64-bit MMX
/// operands (where an MMX form exists). Element-wise operations define the MMX form as the low half of the XMM one;
/// those that move data across elements (unpack high, pack, horizontal add, PSHUFB) define it separately.
/// </summary>
internal interface IIntOp
{
    /// <summary>The XMM form: destination <paramref name="a"/>, source <paramref name="b"/>.</summary>
    static abstract Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b);

    /// <summary>The MMX form.</summary>
    static abstract ulong Mm(ulong a, ulong b);
}

/// <summary>Helpers for the 64-bit forms of element-wise operations.</summary>
internal static class Lanes
{
    /// <summary>A 64-bit value in the low half of a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> V(ulong a) => Vector128.CreateScalar(a).AsByte();

    /// <summary>The low 64 bits of a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Low(Vector128<byte> v) => v.AsUInt64().ToScalar();

    /// <summary>Signed saturation to 8 bits.</summary>
    public static sbyte SatI8(int v) => (sbyte)Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue);

    /// <summary>Unsigned saturation to 8 bits.</summary>
    public static byte SatU8(int v) => (byte)Math.Clamp(v, 0, byte.MaxValue);

    /// <summary>Signed saturation to 16 bits.</summary>
    public static short SatI16(int v) => (short)Math.Clamp(v, short.MinValue, short.MaxValue);

    /// <summary>Unsigned saturation to 16 bits.</summary>
    public static ushort SatU16(int v) => (ushort)Math.Clamp(v, 0, ushort.MaxValue);
}

#pragma warning disable CS1591 // one-line operation structs: their names are the instructions
internal struct PaddB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => a + b; public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PaddW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsUInt16() + b.AsUInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PaddD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsUInt32() + b.AsUInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PaddQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsUInt64() + b.AsUInt64()).AsByte(); public static ulong Mm(ulong a, ulong b) => a + b; }
internal struct PsubB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => a - b; public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PsubW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsUInt16() - b.AsUInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PsubD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsUInt32() - b.AsUInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PsubQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsUInt64() - b.AsUInt64()).AsByte(); public static ulong Mm(ulong a, ulong b) => a - b; }
internal struct PaddSB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.AddSaturate(a.AsSByte(), b.AsSByte()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PaddSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.AddSaturate(a.AsInt16(), b.AsInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PaddUSB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.AddSaturate(a, b); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PaddUSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.AddSaturate(a.AsUInt16(), b.AsUInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PsubSB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.SubtractSaturate(a.AsSByte(), b.AsSByte()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PsubSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.SubtractSaturate(a.AsInt16(), b.AsInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PsubUSB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.SubtractSaturate(a, b); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PsubUSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.SubtractSaturate(a.AsUInt16(), b.AsUInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PcmpeqB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Equals(a, b); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PcmpeqW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Equals(a.AsUInt16(), b.AsUInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PcmpeqD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Equals(a.AsUInt32(), b.AsUInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PcmpeqQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Equals(a.AsUInt64(), b.AsUInt64()).AsByte(); public static ulong Mm(ulong a, ulong b) => a == b ? ulong.MaxValue : 0; }
internal struct PcmpgtB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.GreaterThan(a.AsSByte(), b.AsSByte()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PcmpgtW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.GreaterThan(a.AsInt16(), b.AsInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PcmpgtD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.GreaterThan(a.AsInt32(), b.AsInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PcmpgtQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.GreaterThan(a.AsInt64(), b.AsInt64()).AsByte(); public static ulong Mm(ulong a, ulong b) => (long)a > (long)b ? ulong.MaxValue : 0; }
internal struct Pand : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => a & b; public static ulong Mm(ulong a, ulong b) => a & b; }
internal struct Pandn : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => ~a & b; public static ulong Mm(ulong a, ulong b) => ~a & b; }
internal struct Por : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => a | b; public static ulong Mm(ulong a, ulong b) => a | b; }
internal struct Pxor : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => a ^ b; public static ulong Mm(ulong a, ulong b) => a ^ b; }
internal struct PminUB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Min(a, b); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmaxUB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a, b); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PminSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Min(a.AsInt16(), b.AsInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmaxSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a.AsInt16(), b.AsInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PminSB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Min(a.AsSByte(), b.AsSByte()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmaxSB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a.AsSByte(), b.AsSByte()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PminUW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Min(a.AsUInt16(), b.AsUInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmaxUW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a.AsUInt16(), b.AsUInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PminSD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Min(a.AsInt32(), b.AsInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmaxSD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a.AsInt32(), b.AsInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PminUD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Min(a.AsUInt32(), b.AsUInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmaxUD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a.AsUInt32(), b.AsUInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmullW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsInt16() * b.AsInt16()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
internal struct PmullD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => (a.AsInt32() * b.AsInt32()).AsByte(); public static ulong Mm(ulong a, ulong b) => Lanes.Low(Xmm(Lanes.V(a), Lanes.V(b))); }
#pragma warning restore CS1591

#pragma warning disable CS1591
internal struct PmulhW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.MulHigh); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.MulHigh); }
internal struct PmulhUW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.MulHighUnsigned); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.MulHighUnsigned); }
internal struct PmaddWD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.MultiplyAdd); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.MultiplyAdd); }
internal struct PmulUDQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.MulEvenUnsigned); public static ulong Mm(ulong a, ulong b) => (ulong)(uint)a * (uint)b; }
internal struct PmulDQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.MulEvenSigned); public static ulong Mm(ulong a, ulong b) => (ulong)((long)(int)a * (int)b); }
internal struct PsadBW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.SumAbsDiff); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.SumAbsDiff); }
internal struct PavgB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.AverageBytes); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.AverageBytes); }
internal struct PavgW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.AverageWords); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.AverageWords); }
internal struct PsignB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.SignBytes); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.SignBytes); }
internal struct PsignW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.SignWords); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.SignWords); }
internal struct PsignD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.SignDwords); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.SignDwords); }
internal struct PabsB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.AbsBytes); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.AbsBytes); }
internal struct PabsW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.AbsWords); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.AbsWords); }
internal struct PabsD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.AbsDwords); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.AbsDwords); }
internal struct PmulhRSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.MulHighRoundScale); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.MulHighRoundScale); }
internal struct PmaddUBSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.MultiplyAddUnsignedSigned); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.MultiplyAddUnsignedSigned); }
internal struct PunpcklBW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.InterleaveLow(x, y, r, 1)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.InterleaveLow(x, y, r, 1)); }
internal struct PunpcklWD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.InterleaveLow(x, y, r, 2)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.InterleaveLow(x, y, r, 2)); }
internal struct PunpcklDQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.InterleaveLow(x, y, r, 4)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.InterleaveLow(x, y, r, 4)); }
internal struct PunpcklQDQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Create(a.AsUInt64().GetElement(0), b.AsUInt64().GetElement(0)).AsByte(); public static ulong Mm(ulong a, ulong b) => a; }
internal struct PunpckhBW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.InterleaveHigh(x, y, r, 1)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.InterleaveHigh(x, y, r, 1)); }
internal struct PunpckhWD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.InterleaveHigh(x, y, r, 2)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.InterleaveHigh(x, y, r, 2)); }
internal struct PunpckhDQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.InterleaveHigh(x, y, r, 4)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.InterleaveHigh(x, y, r, 4)); }
internal struct PunpckhQDQ : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => Vector128.Create(a.AsUInt64().GetElement(1), b.AsUInt64().GetElement(1)).AsByte(); public static ulong Mm(ulong a, ulong b) => b; }
internal struct PacksSWB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.PackWordsSigned); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.PackWordsSigned); }
internal struct PackUSWB : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.PackWordsUnsigned); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.PackWordsUnsigned); }
internal struct PacksSDW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.PackDwordsSigned); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.PackDwordsSigned); }
internal struct PackUSDW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.PackDwordsUnsigned); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.PackDwordsUnsigned); }
internal struct PhaddW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, false, false)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, false, false)); }
internal struct PhaddSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, false, true)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, false, true)); }
internal struct PhsubW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, true, false)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, true, false)); }
internal struct PhsubSW : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, true, true)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.HorizontalWords(x, y, r, true, true)); }
internal struct PhaddD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.HorizontalDwords(x, y, r, false)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.HorizontalDwords(x, y, r, false)); }
internal struct PhsubD : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, (x, y, r) => LaneOps.HorizontalDwords(x, y, r, true)); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, (x, y, r) => LaneOps.HorizontalDwords(x, y, r, true)); }
internal struct Pshufb : IIntOp { public static Vector128<byte> Xmm(Vector128<byte> a, Vector128<byte> b) => LaneOps.Run16(a, b, LaneOps.ShuffleBytes); public static ulong Mm(ulong a, ulong b) => LaneOps.Run8(a, b, LaneOps.ShuffleBytes); }
#pragma warning restore CS1591
