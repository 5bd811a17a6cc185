using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Fpu;
using static Smp.Devices.Cpu.Instructions.X87Common;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// x87 comparison and classification (SDM Vol. 1 §8.3.6, Vol. 2A): FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP,
/// FICOM/FICOMP (condition codes), FCOMI/FCOMIP/FUCOMI/FUCOMIP (EFLAGS), FTST, FXAM, and FCMOVcc.
/// </summary>
internal static unsafe class X87Compare
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Fcom_m32fp, &CompareMemory<Float32Source, Ordered, NoPop>);
        HandlerTable.Register(Code.Fcomp_m32fp, &CompareMemory<Float32Source, Ordered, Pop>);
        HandlerTable.Register(Code.Fcom_m64fp, &CompareMemory<Float64Source, Ordered, NoPop>);
        HandlerTable.Register(Code.Fcomp_m64fp, &CompareMemory<Float64Source, Ordered, Pop>);
        HandlerTable.Register(Code.Ficom_m16int, &CompareMemory<Int16Source, Ordered, NoPop>);
        HandlerTable.Register(Code.Ficomp_m16int, &CompareMemory<Int16Source, Ordered, Pop>);
        HandlerTable.Register(Code.Ficom_m32int, &CompareMemory<Int32Source, Ordered, NoPop>);
        HandlerTable.Register(Code.Ficomp_m32int, &CompareMemory<Int32Source, Ordered, Pop>);
        HandlerTable.Register(&CompareRegister<Ordered, NoPop>, false, Code.Fcom_st0_sti, Code.Fcom_st0_sti_DCD0);
        HandlerTable.Register(&CompareRegister<Ordered, Pop>, false, Code.Fcomp_st0_sti, Code.Fcomp_st0_sti_DCD8, Code.Fcomp_st0_sti_DED0);
        HandlerTable.Register(Code.Fucom_st0_sti, &CompareRegister<Unordered, NoPop>);
        HandlerTable.Register(Code.Fucomp_st0_sti, &CompareRegister<Unordered, Pop>);
        HandlerTable.Register(Code.Fcompp, &ComparePop2<Ordered>);
        HandlerTable.Register(Code.Fucompp, &ComparePop2<Unordered>);
        HandlerTable.Register(Code.Fcomi_st0_sti, &CompareEflags<Ordered, NoPop>);
        HandlerTable.Register(Code.Fcomip_st0_sti, &CompareEflags<Ordered, Pop>);
        HandlerTable.Register(Code.Fucomi_st0_sti, &CompareEflags<Unordered, NoPop>);
        HandlerTable.Register(Code.Fucomip_st0_sti, &CompareEflags<Unordered, Pop>);
        HandlerTable.Register(Code.Ftst, &Ftst);
        HandlerTable.Register(Code.Fxam, &Fxam);

        // FCMOVcc tests EFLAGS like Jcc: B (CF), E (ZF), BE (CF or ZF), U (PF) and their negations.
        HandlerTable.Register(Code.Fcmovb_st0_sti, &Fcmov<CondB>);
        HandlerTable.Register(Code.Fcmove_st0_sti, &Fcmov<CondE>);
        HandlerTable.Register(Code.Fcmovbe_st0_sti, &Fcmov<CondBe>);
        HandlerTable.Register(Code.Fcmovu_st0_sti, &Fcmov<CondU>);
        HandlerTable.Register(Code.Fcmovnb_st0_sti, &Fcmov<CondNb>);
        HandlerTable.Register(Code.Fcmovne_st0_sti, &Fcmov<CondNe>);
        HandlerTable.Register(Code.Fcmovnbe_st0_sti, &Fcmov<CondNbe>);
        HandlerTable.Register(Code.Fcmovnu_st0_sti, &Fcmov<CondNu>);
    }

    // C3, C2, C0 of a comparison (SDM Vol. 2A FCOM table): > 000, < 001, = 100, unordered 111.
    private static int Codes(FpCompare r) => r switch
    {
        FpCompare.Greater => 0,
        FpCompare.Less => X87Sw.C0,
        FpCompare.Equal => X87Sw.C3,
        _ => X87Sw.C3 | X87Sw.C2 | X87Sw.C0,
    };

    // Condition codes (C1 = 0) and pops of a comparison: the codes are set even when an unmasked IE or DE is raised,
    // but then the stack is not popped.
    private static void Finish(CpuCore c, FpCompare r, ref FpEnv env, int pops)
    {
        c.FpuSetConditionCodes(Codes(r));
        c.FpuSignal(env.Flags);
        if (env.PreComputationFault) return;
        for (int i = 0; i < pops; i++) c.FpuPop();
    }

    // A stack underflow in a comparison: the result is unordered; the pops happen only when IE is masked.
    private static void UnderflowCompare(CpuCore c, int pops)
    {
        bool masked = Underflow(c);
        c.FpuSetConditionCodes(Codes(FpCompare.Unordered));
        if (!masked) return;
        for (int i = 0; i < pops; i++) c.FpuPop();
    }

    private static void CompareMemory<TOperand, TKind, TPop>(CpuCore c, ref Uop u)
        where TOperand : struct, IX87Source where TKind : struct, ICompareKind where TPop : struct, IPopMode
    {
        if (!c.FpuCheck(true)) return;
        ulong raw = c.ReadSized(c.OperandAddress(ref u, TOperand.Bytes, false), TOperand.Bytes);
        c.FpuRecord(ref u, true);
        int pops = TPop.Pops ? 1 : 0;
        if (c.FpuIsEmpty(0))
        {
            UnderflowCompare(c, pops);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        var b = TOperand.Operand(raw, ref env);
        SourceDenormal(c.St(0), b, TOperand.IsDenormal(raw), ref env);
        Finish(c, X87Math.Compare(c.St(0), b, TKind.Quiet, ref env), ref env, pops);
    }

    private static void CompareRegister<TKind, TPop>(CpuCore c, ref Uop u) where TKind : struct, ICompareKind where TPop : struct, IPopMode
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        Registers<TKind>(c, St(ref u, 1), TPop.Pops ? 1 : 0);
    }

    private static void ComparePop2<TKind>(CpuCore c, ref Uop u) where TKind : struct, ICompareKind
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        Registers<TKind>(c, 1, 2);
    }

    private static void Registers<TKind>(CpuCore c, int i, int pops) where TKind : struct, ICompareKind
    {
        if (c.FpuIsEmpty(0) || c.FpuIsEmpty(i))
        {
            UnderflowCompare(c, pops);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        Finish(c, X87Math.Compare(c.St(0), c.St(i), TKind.Quiet, ref env), ref env, pops);
    }

    // FCOMI family: ZF, PF, CF like the condition codes C3, C2, C0, set even when an unmasked IE or DE stops the pop;
    // OF, SF and AF cleared; C1 = 0 (SDM Vol. 2A FCOMI).
    private static void CompareEflags<TKind, TPop>(CpuCore c, ref Uop u) where TKind : struct, ICompareKind where TPop : struct, IPopMode
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        int i = St(ref u, 1);
        FpCompare r;
        bool pop = TPop.Pops;
        if (c.FpuIsEmpty(0) || c.FpuIsEmpty(i))
        {
            pop &= Underflow(c);
            r = FpCompare.Unordered;
        }
        else
        {
            var env = FpEnv.For(c.Fcw, false);
            r = X87Math.Compare(c.St(0), c.St(i), TKind.Quiet, ref env);
            c.FpuSignal(env.Flags);
            c.FpuSetC1(false);
            pop &= !env.PreComputationFault;
        }
        c.SetStatusFlag(Rflags.ZF, r is FpCompare.Equal or FpCompare.Unordered);
        c.SetStatusFlag(Rflags.PF, r == FpCompare.Unordered);
        c.SetStatusFlag(Rflags.CF, r is FpCompare.Less or FpCompare.Unordered);
        c.SetStatusFlag(Rflags.OF, false);
        c.SetStatusFlag(Rflags.SF, false);
        c.SetStatusFlag(Rflags.AF, false);
        if (pop) c.FpuPop();
    }

    private static void Ftst(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0))
        {
            UnderflowCompare(c, 0);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        Finish(c, X87Math.Compare(c.St(0), Float80.Zero, false, ref env), ref env, 0);
    }

    // FXAM: the class of ST(0) in C3, C2, C0 and its sign in C1, even for an empty register (SDM Vol. 2A FXAM).
    private static void Fxam(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        var v = c.St(0);
        c.FpuSetConditionCodes(X87Math.Examine(v, c.FpuIsEmpty(0)) | (v.Sign ? X87Sw.C1 : 0));
    }

    // FCMOVcc changes C1 only for a stack underflow (SDM Vol. 2A FCMOVcc).
    private static void Fcmov<TCond>(CpuCore c, ref Uop u) where TCond : struct, ICondition
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        int i = St(ref u, 1);
        if (c.FpuIsEmpty(0) || c.FpuIsEmpty(i))
        {
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        if (TCond.Test(c)) c.SetSt(0, c.St(i));
    }

    // ---- type parameters ---------------------------------------------------------------------------

    private interface ICompareKind
    {
        static abstract bool Quiet { get; }
    }

    private struct Ordered : ICompareKind { public static bool Quiet => false; }
    private struct Unordered : ICompareKind { public static bool Quiet => true; }

    private interface ICondition
    {
        static abstract bool Test(CpuCore c);
    }

    private struct CondB : ICondition { public static bool Test(CpuCore c) => c.GetCF(); }
    private struct CondE : ICondition { public static bool Test(CpuCore c) => c.GetZF(); }
    private struct CondBe : ICondition { public static bool Test(CpuCore c) => c.GetCF() || c.GetZF(); }
    private struct CondU : ICondition { public static bool Test(CpuCore c) => c.GetPF(); }
    private struct CondNb : ICondition { public static bool Test(CpuCore c) => !c.GetCF(); }
    private struct CondNe : ICondition { public static bool Test(CpuCore c) => !c.GetZF(); }
    private struct CondNbe : ICondition { public static bool Test(CpuCore c) => !c.GetCF() && !c.GetZF(); }
    private struct CondNu : ICondition { public static bool Test(CpuCore c) => !c.GetPF(); }
}
