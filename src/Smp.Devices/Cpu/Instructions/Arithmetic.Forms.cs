using System.Runtime.CompilerServices;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>A two-operand ALU operation (ADD, SUB, AND, CMP…): the result and, separately, its flags.</summary>
internal interface IBinaryOp
{
    /// <summary>False for CMP and TEST, which only set flags.</summary>
    static abstract bool WritesResult { get; }

    /// <summary>The result (may read CF for ADC/SBB; bits above the operand size are ignored).</summary>
    static abstract ulong Compute(CpuCore c, ulong a, ulong b);

    /// <summary>Records the flags once nothing can fault any more.</summary>
    static abstract void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize;
}

/// <summary>A one-operand read-modify-write ALU operation (NEG, NOT, INC, DEC).</summary>
internal interface IUnaryOp
{
    /// <summary>The result (bits above the operand size are ignored).</summary>
    static abstract ulong Compute(ulong a);

    /// <summary>Records the flags once nothing can fault any more.</summary>
    static abstract void Flags<TS>(CpuCore c, ulong a, ulong r) where TS : struct, IOperandSize;
}

/// <summary>
/// The operand forms shared by the two-operand and one-operand ALU instructions, named Bochs-style
/// (E = r/m, G = register, I = immediate). The memory/register choice is one test of R0/R1;
/// every handler reads and writes memory before it records flags or writes registers, so a fault
/// leaves the architectural state untouched. LOCK changes nothing for a single-threaded CPU.
/// </summary>
internal static unsafe class AluForms
{
    /// <summary>op r/m, reg.</summary>
    public static void EG<TOp, TS>(CpuCore c, ref Uop u) where TOp : struct, IBinaryOp where TS : struct, IOperandSize
    {
        ulong b = TS.Get(c, u.R1);
        if (Alu.Op0IsRegister<TS>(ref u)) Register<TOp, TS>(c, u.R0, b);
        else Memory<TOp, TS>(c, ref u, b);
    }

    /// <summary>op r/m, imm (also the AL/AX/EAX/RAX, imm short forms, whose R0 is the accumulator).</summary>
    public static void EI<TOp, TS>(CpuCore c, ref Uop u) where TOp : struct, IBinaryOp where TS : struct, IOperandSize
    {
        ulong b = u.Imm & TS.Mask;
        if (Alu.Op0IsRegister<TS>(ref u)) Register<TOp, TS>(c, u.R0, b);
        else Memory<TOp, TS>(c, ref u, b);
    }

    /// <summary>op reg, r/m.</summary>
    public static void GE<TOp, TS>(CpuCore c, ref Uop u) where TOp : struct, IBinaryOp where TS : struct, IOperandSize
    {
        ulong b = Alu.ReadRm1<TS>(c, ref u);
        Register<TOp, TS>(c, u.R0, b);
    }

    /// <summary>op r/m (NEG, NOT, INC, DEC, and the one-byte INC/DEC reg forms).</summary>
    public static void E<TOp, TS>(CpuCore c, ref Uop u) where TOp : struct, IUnaryOp where TS : struct, IOperandSize
    {
        if (Alu.Op0IsRegister<TS>(ref u))
        {
            ulong a = TS.Get(c, u.R0), r = TOp.Compute(a);
            TS.Set(c, u.R0, r);
            TOp.Flags<TS>(c, a, r);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, TS.Bytes, true);
            ulong a = TS.Read(c, la), r = TOp.Compute(a);
            TS.Write(c, la, r);
            TOp.Flags<TS>(c, a, r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Register<TOp, TS>(CpuCore c, int reg, ulong b) where TOp : struct, IBinaryOp where TS : struct, IOperandSize
    {
        ulong a = TS.Get(c, reg), r = TOp.Compute(c, a, b);
        if (TOp.WritesResult) TS.Set(c, reg, r);
        TOp.Flags<TS>(c, a, b, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Memory<TOp, TS>(CpuCore c, ref Uop u, ulong b) where TOp : struct, IBinaryOp where TS : struct, IOperandSize
    {
        ulong la = c.OperandAddress(ref u, TS.Bytes, TOp.WritesResult);
        ulong a = TS.Read(c, la), r = TOp.Compute(c, a, b);
        if (TOp.WritesResult) TS.Write(c, la, r);
        TOp.Flags<TS>(c, a, b, r);
    }

    /// <summary>Registers every legacy code of <paramref name="mnemonic"/> with the binary form its operands need.</summary>
    public static void RegisterBinary<TOp>(Mnemonic mnemonic) where TOp : struct, IBinaryOp
    {
        foreach (var code in AluCodes.Of(mnemonic))
        {
            int s = AluCodes.SizeIndex(code);
            delegate*<CpuCore, ref Uop, void> h;
            if (AluCodes.IsImmediate(code, 1))
                h = s switch { 0 => &EI<TOp, Size8>, 1 => &EI<TOp, Size16>, 2 => &EI<TOp, Size32>, _ => &EI<TOp, Size64> };
            else if (AluCodes.IsRm(code, 0))
                h = s switch { 0 => &EG<TOp, Size8>, 1 => &EG<TOp, Size16>, 2 => &EG<TOp, Size32>, _ => &EG<TOp, Size64> };
            else
                h = s switch { 0 => &GE<TOp, Size8>, 1 => &GE<TOp, Size16>, 2 => &GE<TOp, Size32>, _ => &GE<TOp, Size64> };
            HandlerTable.Register(code, h);
        }
    }

    /// <summary>Registers every legacy code of <paramref name="mnemonic"/> (r/m or opcode-register forms) with the unary form.</summary>
    public static void RegisterUnary<TOp>(Mnemonic mnemonic) where TOp : struct, IUnaryOp
    {
        foreach (var code in AluCodes.Of(mnemonic))
        {
            int s = AluCodes.SizeIndex(code);
            HandlerTable.Register(code, s switch { 0 => &E<TOp, Size8>, 1 => &E<TOp, Size16>, 2 => &E<TOp, Size32>, _ => &E<TOp, Size64> });
        }
    }
}
