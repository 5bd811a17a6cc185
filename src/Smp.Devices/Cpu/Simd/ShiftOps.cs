using System.Runtime.Intrinsics;

namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// A packed shift by a count (SDM Vol. 2B PSLLW/PSRLW/PSRAW…): a count above the element width clears the element
/// (logical shifts) or fills it with its sign (arithmetic shifts). .NET's vector shifts mask the count, so those
/// cases are decided here first.
/// </summary>
internal interface IPackedShift
{
    /// <summary>Shifts every element of <paramref name="v"/> by <paramref name="count"/> (any 64-bit value).</summary>
    static abstract Vector128<byte> Shift(Vector128<byte> v, ulong count);
}

#pragma warning disable CS1591 // the structs are named after their instructions
internal struct PsllW : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => n > 15 ? default : Vector128.ShiftLeft(v.AsUInt16(), (int)n).AsByte(); }
internal struct PsllD : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => n > 31 ? default : Vector128.ShiftLeft(v.AsUInt32(), (int)n).AsByte(); }
internal struct PsllQ : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => n > 63 ? default : Vector128.ShiftLeft(v.AsUInt64(), (int)n).AsByte(); }
internal struct PsrlW : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => n > 15 ? default : Vector128.ShiftRightLogical(v.AsUInt16(), (int)n).AsByte(); }
internal struct PsrlD : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => n > 31 ? default : Vector128.ShiftRightLogical(v.AsUInt32(), (int)n).AsByte(); }
internal struct PsrlQ : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => n > 63 ? default : Vector128.ShiftRightLogical(v.AsUInt64(), (int)n).AsByte(); }
internal struct PsraW : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => Vector128.ShiftRightArithmetic(v.AsInt16(), (int)Math.Min(n, 15)).AsByte(); }
internal struct PsraD : IPackedShift { public static Vector128<byte> Shift(Vector128<byte> v, ulong n) => Vector128.ShiftRightArithmetic(v.AsInt32(), (int)Math.Min(n, 31)).AsByte(); }

/// <summary>PSLLDQ: the whole register shifted left by bytes (a count above 15 clears it).</summary>
internal struct PslldQ : IPackedShift
{
    public static Vector128<byte> Shift(Vector128<byte> v, ulong n)
    {
        if (n > 15) return default;
        UInt128 x = (UInt128)v.AsUInt64().GetElement(1) << 64 | v.AsUInt64().GetElement(0);
        x <<= 8 * (int)n;
        return Vector128.Create((ulong)x, (ulong)(x >> 64)).AsByte();
    }
}

/// <summary>PSRLDQ: the whole register shifted right by bytes.</summary>
internal struct PsrldQ : IPackedShift
{
    public static Vector128<byte> Shift(Vector128<byte> v, ulong n)
    {
        if (n > 15) return default;
        UInt128 x = (UInt128)v.AsUInt64().GetElement(1) << 64 | v.AsUInt64().GetElement(0);
        x >>= 8 * (int)n;
        return Vector128.Create((ulong)x, (ulong)(x >> 64)).AsByte();
    }
}
#pragma warning restore CS1591
