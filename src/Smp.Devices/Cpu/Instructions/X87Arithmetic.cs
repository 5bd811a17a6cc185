using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Fpu;
using static Smp.Devices.Cpu.Instructions.X87Common;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// x87 arithmetic (SDM Vol. 1 §8.3.5–8.3.7, Vol. 2A): FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR with m32fp, m64fp, m16int,
/// m32int and register operands, the popping forms, FSQRT, FABS, FCHS, FRNDINT, FSCALE, FXTRACT, FPREM, FPREM1.
/// Precision control applies to the basic operations and FSQRT only (§8.1.5.2).
/// </summary>
internal static unsafe class X87Arithmetic
{
    [InstructionFamily]
    internal static void Register()
    {
        RegisterOp<AddOp>(Code.Fadd_m32fp, Code.Fadd_m64fp, Code.Fiadd_m16int, Code.Fiadd_m32int, Code.Fadd_st0_sti, Code.Fadd_sti_st0, Code.Faddp_sti_st0);
        RegisterOp<SubOp>(Code.Fsub_m32fp, Code.Fsub_m64fp, Code.Fisub_m16int, Code.Fisub_m32int, Code.Fsub_st0_sti, Code.Fsub_sti_st0, Code.Fsubp_sti_st0);
        RegisterOp<SubROp>(Code.Fsubr_m32fp, Code.Fsubr_m64fp, Code.Fisubr_m16int, Code.Fisubr_m32int, Code.Fsubr_st0_sti, Code.Fsubr_sti_st0, Code.Fsubrp_sti_st0);
        RegisterOp<MulOp>(Code.Fmul_m32fp, Code.Fmul_m64fp, Code.Fimul_m16int, Code.Fimul_m32int, Code.Fmul_st0_sti, Code.Fmul_sti_st0, Code.Fmulp_sti_st0);
        RegisterOp<DivOp>(Code.Fdiv_m32fp, Code.Fdiv_m64fp, Code.Fidiv_m16int, Code.Fidiv_m32int, Code.Fdiv_st0_sti, Code.Fdiv_sti_st0, Code.Fdivp_sti_st0);
        RegisterOp<DivROp>(Code.Fdivr_m32fp, Code.Fdivr_m64fp, Code.Fidivr_m16int, Code.Fidivr_m32int, Code.Fdivr_st0_sti, Code.Fdivr_sti_st0, Code.Fdivrp_sti_st0);

        HandlerTable.Register(Code.Fsqrt, &Unary<SqrtOp>);
        HandlerTable.Register(Code.Frndint, &Unary<RoundOp>);
        HandlerTable.Register(Code.Fabs, &SignOp<AbsOp>);
        HandlerTable.Register(Code.Fchs, &SignOp<ChsOp>);
        HandlerTable.Register(Code.Fscale, &Fscale);
        HandlerTable.Register(Code.Fxtract, &Fxtract);
        HandlerTable.Register(Code.Fprem, &Fprem<Truncating>);
        HandlerTable.Register(Code.Fprem1, &Fprem<RoundedQuotient>);
    }

    private static void RegisterOp<T>(Code m32, Code m64, Code i16, Code i32, Code st0Sti, Code stiSt0, Code stiSt0Pop) where T : struct, IBinaryOp
    {
        HandlerTable.Register(m32, &Memory<T, Float32Source>);
        HandlerTable.Register(m64, &Memory<T, Float64Source>);
        HandlerTable.Register(i16, &Memory<T, Int16Source>);
        HandlerTable.Register(i32, &Memory<T, Int32Source>);
        HandlerTable.Register(st0Sti, &ToSt0<T>);
        HandlerTable.Register(stiSt0, &ToSti<T, NoPop>);
        HandlerTable.Register(stiSt0Pop, &ToSti<T, Pop>);
    }

    // ST(0) ← ST(0) op memory.
    private static void Memory<T, TSource>(CpuCore c, ref Uop u) where T : struct, IBinaryOp where TSource : struct, IX87Source
    {
        if (!c.FpuCheck(true)) return;
        ulong raw = c.ReadSized(c.OperandAddress(ref u, TSource.Bytes, false), TSource.Bytes);
        c.FpuRecord(ref u, true);
        if (c.FpuIsEmpty(0))
        {
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        var env = FpEnv.For(c.Fcw, true);
        var src = TSource.Operand(raw, ref env);
        var dst = c.St(0);
        var r = ApplyWithSource<T>(dst, src, TSource.IsDenormal(raw), ref env);
        Commit(c, 0, r, ref env, false);
    }

    // ST(0) ← ST(0) op ST(i).
    private static void ToSt0<T>(CpuCore c, ref Uop u) where T : struct, IBinaryOp
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        Binary<T>(c, 0, St(ref u, 1), false);
    }

    // ST(i) ← ST(i) op ST(0), optionally popping.
    private static void ToSti<T, TPop>(CpuCore c, ref Uop u) where T : struct, IBinaryOp where TPop : struct, IPopMode
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        Binary<T>(c, St(ref u, 0), 0, TPop.Pops);
    }

    // A denormal single/double source raises DE unless a NaN, an invalid operation or a division by zero comes
    // first; an unmasked DE then stops the operation (SDM Vol. 1 §4.9.2, §8.5.2).
    private static Float80 ApplyWithSource<T>(Float80 dst, Float80 src, bool sourceDenormal, ref FpEnv env) where T : struct, IBinaryOp
    {
        var probe = env;
        var r = T.Apply(dst, src, ref probe);
        if (sourceDenormal && !dst.IsNaN && !dst.IsUnsupported && !src.IsNaN && (probe.Flags & (X87Sw.IE | X87Sw.ZE)) == 0)
        {
            env.Flags |= X87Sw.DE;
            if (env.DenormalFault) return default;
            probe.Flags |= X87Sw.DE;
        }
        env = probe;
        return r;
    }

    private static void Binary<T>(CpuCore c, int dst, int src, bool pop) where T : struct, IBinaryOp
    {
        if (c.FpuIsEmpty(dst) || c.FpuIsEmpty(src))
        {
            if (!Underflow(c)) return;
            c.SetSt(dst, Float80.Indefinite);
            if (pop) c.FpuPop();
            return;
        }
        var env = FpEnv.For(c.Fcw, true);
        var r = T.Apply(c.St(dst), c.St(src), ref env);
        Commit(c, dst, r, ref env, pop);
    }

    private static void Unary<T>(CpuCore c, ref Uop u) where T : struct, IUnaryOp
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0))
        {
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        var env = FpEnv.For(c.Fcw, T.PrecisionControl);
        var r = T.Apply(c.St(0), ref env);
        Commit(c, 0, r, ref env, false);
    }

    // FABS/FCHS change the sign bit of anything, NaNs included, without exceptions (SDM Vol. 2A FABS, FCHS); C1 = 0.
    private static void SignOp<T>(CpuCore c, ref Uop u) where T : struct, ISignOp
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0))
        {
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        c.SetSt(0, T.Apply(c.St(0)));
        c.FpuSetC1(false);
    }

    private static void Fscale(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0) || c.FpuIsEmpty(1))
        {
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        var r = X87Math.Scale(c.St(0), c.St(1), ref env);
        Commit(c, 0, r, ref env, false);
    }

    // FXTRACT: ST(0) ← exponent, then push the significand (SDM Vol. 2A FXTRACT).
    private static void Fxtract(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0))
        {
            if (!Underflow(c)) return;
            c.SetSt(0, Float80.Indefinite);
            c.FpuPush(Float80.Indefinite);
            return;
        }
        if (PushOverflows(c))
        {
            if (!Overflow(c)) return;
            c.SetSt(0, Float80.Indefinite);
            c.FpuPush(Float80.Indefinite);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        var (exponent, significand) = X87Math.Extract(c.St(0), ref env);
        if (env.PreComputationFault)
        {
            c.FpuSetC1(false);
            c.FpuSignal(env.Flags);
            return;
        }
        c.SetSt(0, exponent);
        c.FpuPush(significand);
        c.FpuSetC1(false);
        c.FpuSignal(env.Flags);
    }

    // FPREM (truncated quotient) and FPREM1 (quotient rounded to nearest): C2 reports an incomplete reduction,
    // C0/C3/C1 the low quotient bits (SDM Vol. 2A FPREM, FPREM1).
    private static void Fprem<TQuotient>(CpuCore c, ref Uop u) where TQuotient : struct, IQuotient
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0) || c.FpuIsEmpty(1))
        {
            c.FpuSetConditionCodes(c.Fsw & (X87Sw.C0 | X87Sw.C3)); // C2 = 0: nothing left to reduce
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        var r = X87Math.Remainder(c.St(0), c.St(1), TQuotient.Nearest, ref env, out int codes);
        if (codes < 0) codes = c.Fsw & (X87Sw.C0 | X87Sw.C3);
        if (env.PreComputationFault)
        {
            c.FpuSetConditionCodes(c.Fsw & (X87Sw.C0 | X87Sw.C3));
            c.FpuSignal(env.Flags);
            return;
        }
        c.SetSt(0, r);
        c.FpuSetConditionCodes(codes);
        c.FpuSignal(env.Flags);
    }

    // ---- operations ------------------------------------------------------------------------------------

    private interface IQuotient
    {
        static abstract bool Nearest { get; }
    }

    private struct Truncating : IQuotient { public static bool Nearest => false; }
    private struct RoundedQuotient : IQuotient { public static bool Nearest => true; }

    private interface IBinaryOp
    {
        /// <summary>The result for destination value <paramref name="dst"/> and the other operand <paramref name="src"/>.</summary>
        static abstract Float80 Apply(Float80 dst, Float80 src, ref FpEnv env);
    }

    private struct AddOp : IBinaryOp { public static Float80 Apply(Float80 dst, Float80 src, ref FpEnv env) => X87Math.Add(dst, src, false, ref env); }
    private struct SubOp : IBinaryOp { public static Float80 Apply(Float80 dst, Float80 src, ref FpEnv env) => X87Math.Add(dst, src, true, ref env); }
    private struct SubROp : IBinaryOp { public static Float80 Apply(Float80 dst, Float80 src, ref FpEnv env) => X87Math.Add(src, dst, true, ref env); }
    private struct MulOp : IBinaryOp { public static Float80 Apply(Float80 dst, Float80 src, ref FpEnv env) => X87Math.Mul(dst, src, ref env); }
    private struct DivOp : IBinaryOp { public static Float80 Apply(Float80 dst, Float80 src, ref FpEnv env) => X87Math.Div(dst, src, ref env); }
    private struct DivROp : IBinaryOp { public static Float80 Apply(Float80 dst, Float80 src, ref FpEnv env) => X87Math.Div(src, dst, ref env); }

    private interface IUnaryOp
    {
        static abstract bool PrecisionControl { get; }
        static abstract Float80 Apply(Float80 x, ref FpEnv env);
    }

    private struct SqrtOp : IUnaryOp
    {
        public static bool PrecisionControl => true;
        public static Float80 Apply(Float80 x, ref FpEnv env) => X87Math.Sqrt(x, ref env);
    }

    private struct RoundOp : IUnaryOp
    {
        public static bool PrecisionControl => false;
        public static Float80 Apply(Float80 x, ref FpEnv env) => X87Math.RoundToIntegral(x, ref env);
    }

    private interface ISignOp
    {
        static abstract Float80 Apply(Float80 x);
    }

    private struct AbsOp : ISignOp { public static Float80 Apply(Float80 x) => x.Abs; }
    private struct ChsOp : ISignOp { public static Float80 Apply(Float80 x) => x.Negate; }
}
