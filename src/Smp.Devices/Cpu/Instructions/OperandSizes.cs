using System.Runtime.CompilerServices;
using Iced.Intel;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// An operand size as a type: handlers of every family are generic over it so one routine serves 8, 16, 32 and
/// 64 bits and the JIT specialises each instantiation (every member is a constant or a direct call).
/// </summary>
internal interface IOperandSize
{
    /// <summary>Size index used by the lazy-flag recorders: 0 = 8, 1 = 16, 2 = 32, 3 = 64 bits.</summary>
    static abstract int Index { get; }

    /// <summary>Width in bits.</summary>
    static abstract int Bits { get; }

    /// <summary>Width in bytes.</summary>
    static abstract int Bytes { get; }

    /// <summary>All ones in the operand's bits.</summary>
    static abstract ulong Mask { get; }

    /// <summary>Reads a register of this size, zero-extended.</summary>
    static abstract ulong Get(CpuCore c, int r);

    /// <summary>Writes a register of this size (8/16 merge, 32 zero-extends, SDM Vol. 1 §3.4.1.1).</summary>
    static abstract void Set(CpuCore c, int r, ulong v);

    /// <summary>Reads memory of this size at a linear address.</summary>
    static abstract ulong Read(CpuCore c, ulong la);

    /// <summary>Writes memory of this size at a linear address.</summary>
    static abstract void Write(CpuCore c, ulong la, ulong v);
}

/// <summary>8-bit operands (AL…R15B and AH…BH).</summary>
internal struct Size8 : IOperandSize
{
    public static int Index => 0;
    public static int Bits => 8;
    public static int Bytes => 1;
    public static ulong Mask => 0xFF;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Get(CpuCore c, int r) => c.Get8(r);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Set(CpuCore c, int r, ulong v) => c.Set8(r, (byte)v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Read(CpuCore c, ulong la) => c.Read8(la);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(CpuCore c, ulong la, ulong v) => c.Write8(la, (byte)v);
}

/// <summary>16-bit operands.</summary>
internal struct Size16 : IOperandSize
{
    public static int Index => 1;
    public static int Bits => 16;
    public static int Bytes => 2;
    public static ulong Mask => 0xFFFF;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Get(CpuCore c, int r) => c.Get16(r);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Set(CpuCore c, int r, ulong v) => c.Set16(r, (ushort)v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Read(CpuCore c, ulong la) => c.Read16(la);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(CpuCore c, ulong la, ulong v) => c.Write16(la, (ushort)v);
}

/// <summary>32-bit operands; register writes zero the upper half.</summary>
internal struct Size32 : IOperandSize
{
    public static int Index => 2;
    public static int Bits => 32;
    public static int Bytes => 4;
    public static ulong Mask => 0xFFFF_FFFF;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Get(CpuCore c, int r) => c.Get32(r);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Set(CpuCore c, int r, ulong v) => c.Set32(r, (uint)v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Read(CpuCore c, ulong la) => c.Read32(la);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(CpuCore c, ulong la, ulong v) => c.Write32(la, (uint)v);
}

/// <summary>64-bit operands.</summary>
internal struct Size64 : IOperandSize
{
    public static int Index => 3;
    public static int Bits => 64;
    public static int Bytes => 8;
    public static ulong Mask => ulong.MaxValue;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Get(CpuCore c, int r) => c.Get64(r);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Set(CpuCore c, int r, ulong v) => c.Set64(r, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ulong Read(CpuCore c, ulong la) => c.Read64(la);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Write(CpuCore c, ulong la, ulong v) => c.Write64(la, v);
}

/// <summary>Helpers shared by the ALU families.</summary>
internal static class Alu
{
    /// <summary>Sign-extends the low <typeparamref name="TS"/> bits of <paramref name="v"/> to 64 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long SignExtend<TS>(ulong v) where TS : struct, IOperandSize =>
        (long)(v << (64 - TS.Bits)) >> (64 - TS.Bits);

    /// <summary>The most significant bit of a <typeparamref name="TS"/>-sized value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Msb<TS>(ulong v) where TS : struct, IOperandSize => ((v >> (TS.Bits - 1)) & 1) != 0;

    /// <summary>Whether operand 0 (the r/m destination) is a register (AH–BH have their own numbers, never <see cref="Reg.None"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Op0IsRegister<TS>(ref Uop u) where TS : struct, IOperandSize => u.R0 != Reg.None;

    /// <summary>Whether operand 1 (an r/m source) is a register; see <see cref="Op0IsRegister{TS}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Op1IsRegister<TS>(ref Uop u) where TS : struct, IOperandSize => u.R1 != Reg.None;

    /// <summary>Reads operand 0 as an r/m source (MUL, DIV...).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadRm0<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize =>
        Op0IsRegister<TS>(ref u) ? TS.Get(c, u.R0) : TS.Read(c, c.OperandAddress(ref u, TS.Bytes, false));

    /// <summary>Reads operand 1 as an r/m source (op reg, r/m forms).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadRm1<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize =>
        Op1IsRegister<TS>(ref u) ? TS.Get(c, u.R1) : TS.Read(c, c.OperandAddress(ref u, TS.Bytes, false));

    /// <summary>
    /// Replaces the status flags selected by <paramref name="mask"/> with <paramref name="bits"/>,
    /// keeping the others (materialising lazy flags first).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetStatusFlags(CpuCore c, ulong mask, ulong bits)
    {
        c.MaterializeFlags();
        c.RflagsBits = (c.RflagsBits & ~mask) | (bits & mask);
    }

    /// <summary>Returns <paramref name="flag"/> when <paramref name="value"/> is true, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong If(bool value, ulong flag) => value ? flag : 0;
}
