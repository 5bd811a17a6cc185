using System.Runtime.CompilerServices;
using Iced.Intel;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Operand widths as type parameters: handlers written once as generic methods over
/// <see cref="IWidth"/> are specialised by the JIT per width, so size tests fold to constants
/// (one handler per family and width, Bochs-style, without four copies of the source).
/// </summary>
internal interface IWidth
{
    /// <summary>Width in bytes: 1, 2, 4 or 8.</summary>
    static abstract int Bytes { get; }

    /// <summary>Size index for the lazy flags (0 = 8 … 3 = 64 bits).</summary>
    static abstract int SizeIndex { get; }

    /// <summary>All-ones mask of the width.</summary>
    static abstract ulong Mask { get; }
}

/// <summary>Width type arguments and width-generic register/memory accessors.</summary>
internal static class W
{
    /// <summary>8 bits.</summary>
    internal struct B1 : IWidth { public static int Bytes => 1; public static int SizeIndex => 0; public static ulong Mask => 0xFF; }

    /// <summary>16 bits.</summary>
    internal struct B2 : IWidth { public static int Bytes => 2; public static int SizeIndex => 1; public static ulong Mask => 0xFFFF; }

    /// <summary>32 bits.</summary>
    internal struct B4 : IWidth { public static int Bytes => 4; public static int SizeIndex => 2; public static ulong Mask => 0xFFFF_FFFF; }

    /// <summary>64 bits.</summary>
    internal struct B8 : IWidth { public static int Bytes => 8; public static int SizeIndex => 3; public static ulong Mask => ulong.MaxValue; }

    /// <summary>Reads register <paramref name="r"/> at width <typeparamref name="T"/>, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Get<T>(CpuCore c, int r) where T : struct, IWidth =>
        T.Bytes == 1 ? c.Get8(r) : T.Bytes == 2 ? c.Get16(r) : T.Bytes == 4 ? c.Get32(r) : c.Get64(r);

    /// <summary>Writes register <paramref name="r"/> at width <typeparamref name="T"/> (8/16 merge, 32 zero-extends).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Set<T>(CpuCore c, int r, ulong v) where T : struct, IWidth
    {
        if (T.Bytes == 1) c.Set8(r, (byte)v);
        else if (T.Bytes == 2) c.Set16(r, (ushort)v);
        else if (T.Bytes == 4) c.Set32(r, (uint)v);
        else c.Set64(r, v);
    }

    /// <summary>Reads memory at linear address <paramref name="la"/> at width <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Load<T>(CpuCore c, ulong la) where T : struct, IWidth =>
        T.Bytes == 1 ? c.Read8(la) : T.Bytes == 2 ? c.Read16(la) : T.Bytes == 4 ? c.Read32(la) : c.Read64(la);

    /// <summary>Writes memory at linear address <paramref name="la"/> at width <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store<T>(CpuCore c, ulong la, ulong v) where T : struct, IWidth
    {
        if (T.Bytes == 1) c.Write8(la, (byte)v);
        else if (T.Bytes == 2) c.Write16(la, (ushort)v);
        else if (T.Bytes == 4) c.Write32(la, (uint)v);
        else c.Write64(la, v);
    }

    /// <summary>True when operand 0 of <paramref name="u"/> is a register (AH–BH have their own numbers, never <see cref="Reg.None"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Op0IsReg<T>(ref Uop u) where T : struct, IWidth => u.R0 != Reg.None;

    /// <summary>True when operand 1 of <paramref name="u"/> is a register (see <see cref="Op0IsReg{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Op1IsReg<T>(ref Uop u) where T : struct, IWidth => u.R1 != Reg.None;

    /// <summary>Writes an address-sized register (SI, DI, CX by address size): 16 bits merge, 32 zero-extend, 64 whole.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SetAddressSized(CpuCore c, int r, ulong v, ulong addrMask)
    {
        ref ulong x = ref c.Gpr(r);
        x = addrMask == 0xFFFF ? (x & ~0xFFFFUL) | (v & 0xFFFF) : v & addrMask;
    }
}
