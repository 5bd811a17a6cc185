using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>A condition code as a type, so SETcc and CMOVcc test exactly the flags they need.</summary>
internal interface ICondition
{
    /// <summary>Evaluates the condition on the current flags.</summary>
    static abstract bool Test(CpuCore c);
}

/// <summary>
/// SETcc and CMOVcc (SDM Vol. 2A "CMOVcc", Vol. 2B "SETcc"). CMOVcc always reads its source (a memory
/// source can fault even when the condition is false) and a 32-bit destination is zero-extended
/// whether or not the move happens.
/// </summary>
internal static unsafe class Conditional
{
    [InstructionFamily]
    internal static void Register()
    {
        foreach (var m in new[]
        {
            Mnemonic.Seto, Mnemonic.Setno, Mnemonic.Setb, Mnemonic.Setae, Mnemonic.Sete, Mnemonic.Setne, Mnemonic.Setbe, Mnemonic.Seta,
            Mnemonic.Sets, Mnemonic.Setns, Mnemonic.Setp, Mnemonic.Setnp, Mnemonic.Setl, Mnemonic.Setge, Mnemonic.Setle, Mnemonic.Setg,
            Mnemonic.Cmovo, Mnemonic.Cmovno, Mnemonic.Cmovb, Mnemonic.Cmovae, Mnemonic.Cmove, Mnemonic.Cmovne, Mnemonic.Cmovbe, Mnemonic.Cmova,
            Mnemonic.Cmovs, Mnemonic.Cmovns, Mnemonic.Cmovp, Mnemonic.Cmovnp, Mnemonic.Cmovl, Mnemonic.Cmovge, Mnemonic.Cmovle, Mnemonic.Cmovg,
        })
            foreach (var code in AluCodes.Of(m)) RegisterCc(code);
    }

    private static void RegisterCc(Code code)
    {
        int cc = (int)code.ConditionCode() - 1; // Iced's enum is the encoding order, plus one
        bool set = code.ToOpCode().OpCount == 1; // SETcc r/m8; CMOVcc has two operands
        int s = AluCodes.SizeIndex(code);
        HandlerTable.Register(code, set ? SetFor(cc) : s switch { 1 => CmovFor<Size16>(cc), 2 => CmovFor<Size32>(cc), _ => CmovFor<Size64>(cc) });
    }

    private static delegate*<CpuCore, ref Uop, void> SetFor(int cc) => cc switch
    {
        0 => &Setcc<O>, 1 => &Setcc<No>, 2 => &Setcc<B>, 3 => &Setcc<Ae>, 4 => &Setcc<E>, 5 => &Setcc<Ne>, 6 => &Setcc<Be>, 7 => &Setcc<A>,
        8 => &Setcc<S>, 9 => &Setcc<Ns>, 10 => &Setcc<P>, 11 => &Setcc<Np>, 12 => &Setcc<L>, 13 => &Setcc<Ge>, 14 => &Setcc<Le>, _ => &Setcc<G>,
    };

    private static delegate*<CpuCore, ref Uop, void> CmovFor<TS>(int cc) where TS : struct, IOperandSize => cc switch
    {
        0 => &Cmov<O, TS>, 1 => &Cmov<No, TS>, 2 => &Cmov<B, TS>, 3 => &Cmov<Ae, TS>, 4 => &Cmov<E, TS>, 5 => &Cmov<Ne, TS>, 6 => &Cmov<Be, TS>, 7 => &Cmov<A, TS>,
        8 => &Cmov<S, TS>, 9 => &Cmov<Ns, TS>, 10 => &Cmov<P, TS>, 11 => &Cmov<Np, TS>, 12 => &Cmov<L, TS>, 13 => &Cmov<Ge, TS>, 14 => &Cmov<Le, TS>, _ => &Cmov<G, TS>,
    };

    private static void Setcc<TC>(CpuCore c, ref Uop u) where TC : struct, ICondition
    {
        byte v = TC.Test(c) ? (byte)1 : (byte)0;
        if (Alu.Op0IsRegister<Size8>(ref u)) c.Set8(u.R0, v);
        else c.Write8(c.OperandAddress(ref u, 1, true), v);
    }

    private static void Cmov<TC, TS>(CpuCore c, ref Uop u) where TC : struct, ICondition where TS : struct, IOperandSize
    {
        ulong src = Alu.ReadRm1<TS>(c, ref u);
        if (TC.Test(c)) TS.Set(c, u.R0, src);
        else if (TS.Bits == 32) c.Set32(u.R0, c.Get32(u.R0));
    }

    private struct O : ICondition { public static bool Test(CpuCore c) => c.GetOF(); }
    private struct No : ICondition { public static bool Test(CpuCore c) => !c.GetOF(); }
    private struct B : ICondition { public static bool Test(CpuCore c) => c.GetCF(); }
    private struct Ae : ICondition { public static bool Test(CpuCore c) => !c.GetCF(); }
    private struct E : ICondition { public static bool Test(CpuCore c) => c.GetZF(); }
    private struct Ne : ICondition { public static bool Test(CpuCore c) => !c.GetZF(); }
    private struct Be : ICondition { public static bool Test(CpuCore c) => c.GetCF() || c.GetZF(); }
    private struct A : ICondition { public static bool Test(CpuCore c) => !c.GetCF() && !c.GetZF(); }
    private struct S : ICondition { public static bool Test(CpuCore c) => c.GetSF(); }
    private struct Ns : ICondition { public static bool Test(CpuCore c) => !c.GetSF(); }
    private struct P : ICondition { public static bool Test(CpuCore c) => c.GetPF(); }
    private struct Np : ICondition { public static bool Test(CpuCore c) => !c.GetPF(); }
    private struct L : ICondition { public static bool Test(CpuCore c) => c.GetSF() != c.GetOF(); }
    private struct Ge : ICondition { public static bool Test(CpuCore c) => c.GetSF() == c.GetOF(); }
    private struct Le : ICondition { public static bool Test(CpuCore c) => c.GetZF() || c.GetSF() != c.GetOF(); }
    private struct G : ICondition { public static bool Test(CpuCore c) => !c.GetZF() && c.GetSF() == c.GetOF(); }
}
