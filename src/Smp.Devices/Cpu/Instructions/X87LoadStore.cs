using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Fpu;
using static Smp.Devices.Cpu.Instructions.X87Common;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// x87 data transfer (SDM Vol. 1 §8.3.3, Vol. 2A): FLD/FST/FSTP in every format, FILD/FIST/FISTP/FISTTP, FBLD/FBSTP,
/// the constants, FXCH, FFREE/FFREEP, FINCSTP/FDECSTP.
/// </summary>
internal static unsafe class X87LoadStore
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Fld_m32fp, &FldM<Float32Source>);
        HandlerTable.Register(Code.Fld_m64fp, &FldM<Float64Source>);
        HandlerTable.Register(Code.Fld_m80fp, &FldM80);
        HandlerTable.Register(Code.Fld_sti, &FldSt);
        HandlerTable.Register(Code.Fild_m16int, &FldM<Int16Source>);
        HandlerTable.Register(Code.Fild_m32int, &FldM<Int32Source>);
        HandlerTable.Register(Code.Fild_m64int, &FldM<Int64Source>);
        HandlerTable.Register(Code.Fbld_m80bcd, &Fbld);

        HandlerTable.Register(Code.Fst_m32fp, &FstM<Single, NoPop>);
        HandlerTable.Register(Code.Fstp_m32fp, &FstM<Single, Pop>);
        HandlerTable.Register(Code.Fst_m64fp, &FstM<Double, NoPop>);
        HandlerTable.Register(Code.Fstp_m64fp, &FstM<Double, Pop>);
        HandlerTable.Register(Code.Fstp_m80fp, &FstpM80);
        HandlerTable.Register(Code.Fst_sti, &FstSt<NoPop>);
        HandlerTable.Register(&FstSt<Pop>, false, Code.Fstp_sti, Code.Fstpnce_sti, Code.Fstp_sti_DFD0, Code.Fstp_sti_DFD8);
        HandlerTable.Register(Code.Fist_m16int, &Fist<Int16Source, NoPop, Nearest>);
        HandlerTable.Register(Code.Fist_m32int, &Fist<Int32Source, NoPop, Nearest>);
        HandlerTable.Register(Code.Fistp_m16int, &Fist<Int16Source, Pop, Nearest>);
        HandlerTable.Register(Code.Fistp_m32int, &Fist<Int32Source, Pop, Nearest>);
        HandlerTable.Register(Code.Fistp_m64int, &Fist<Int64Source, Pop, Nearest>);
        HandlerTable.Register(Code.Fisttp_m16int, &Fist<Int16Source, Pop, Truncating>);
        HandlerTable.Register(Code.Fisttp_m32int, &Fist<Int32Source, Pop, Truncating>);
        HandlerTable.Register(Code.Fisttp_m64int, &Fist<Int64Source, Pop, Truncating>);
        HandlerTable.Register(Code.Fbstp_m80bcd, &Fbstp);

        HandlerTable.Register(Code.Fld1, &FldConst<One>);
        HandlerTable.Register(Code.Fldz, &FldConst<Zero>);
        HandlerTable.Register(Code.Fldpi, &FldConst<Pi>);
        HandlerTable.Register(Code.Fldl2e, &FldConst<L2e>);
        HandlerTable.Register(Code.Fldl2t, &FldConst<L2t>);
        HandlerTable.Register(Code.Fldlg2, &FldConst<Lg2>);
        HandlerTable.Register(Code.Fldln2, &FldConst<Ln2>);

        HandlerTable.Register(&Fxch, false, Code.Fxch_st0_sti, Code.Fxch_st0_sti_DDC8, Code.Fxch_st0_sti_DFC8);
        HandlerTable.Register(Code.Ffree_sti, &Ffree<NoPop>);
        HandlerTable.Register(Code.Ffreep_sti, &Ffree<Pop>);
        HandlerTable.Register(Code.Fincstp, &Fincstp);
        HandlerTable.Register(Code.Fdecstp, &Fdecstp);
    }

    // ---- loads ---------------------------------------------------------------------------------------------

    // A push: stack overflow (SDM Vol. 1 §8.5.1.1) pushes the indefinite when masked and nothing when not; an
    // unmasked IE (an SNaN source) leaves the stack alone too, while an unmasked DE still loads the exact value.
    private static void Push(CpuCore c, Float80 v, ref FpEnv env)
    {
        if (PushOverflows(c))
        {
            if (Overflow(c)) c.FpuPush(Float80.Indefinite);
            return;
        }
        if (Unmasked(ref env, X87Sw.IE))
        {
            c.FpuSetC1(false);
            c.FpuSignal(env.Flags);
            return;
        }
        c.FpuPush(v);
        c.FpuSetC1(false);
        c.FpuSignal(env.Flags);
    }

    // FLD m32fp/m64fp (exact; SNaN → IE, denormal → DE) and FILD m16/m32/m64int (exact).
    private static void FldM<TSource>(CpuCore c, ref Uop u) where TSource : struct, IX87Source
    {
        if (!c.FpuCheck(true)) return;
        ulong raw = c.ReadSized(c.OperandAddress(ref u, TSource.Bytes, false), TSource.Bytes);
        c.FpuRecord(ref u, true);
        var env = FpEnv.For(c.Fcw, false);
        var v = TSource.Load(raw, ref env);
        Push(c, v, ref env);
    }

    // FLD m80: loaded as is, SNaNs and unsupported encodings included (no exception but stack overflow).
    private static void FldM80(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        var v = Read80(c, c.OperandAddress(ref u, 10, false), Wrap(c));
        c.FpuRecord(ref u, true);
        var env = FpEnv.For(c.Fcw, false);
        Push(c, v, ref env);
    }

    private static void FldSt(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        int i = St(ref u, 0);
        if (c.FpuIsEmpty(i))
        {
            // An empty source is an underflow even when the stack is also full (C1 = 0).
            if (Underflow(c)) c.FpuPush(Float80.Indefinite);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        Push(c, c.St(i), ref env);
    }

    private static void Fbld(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        ulong la = c.OperandAddress(ref u, 10, false);
        ulong low = c.Read64(la);
        ushort high = c.Read16((la + 8) & Wrap(c));
        c.FpuRecord(ref u, true);
        var env = FpEnv.For(c.Fcw, false);
        Push(c, X87Math.FromBcd(low, high), ref env);
    }

    private static void FldConst<T>(CpuCore c, ref Uop u) where T : struct, IConstant
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        var env = FpEnv.For(c.Fcw, false);
        Push(c, X87Constants.Rounded(T.Value, (c.Fcw >> 10) & 3), ref env);
    }

    // ---- stores --------------------------------------------------------------------------------------------

    // FST/FSTP m32/m64: an unmasked IE, DE, OE or UE stores nothing and keeps TOP (SDM Vol. 1 §8.5.4–8.5.5 for
    // memory destinations); an empty ST(0) stores the indefinite when IE is masked.
    private static void FstM<TFormat, TPop>(CpuCore c, ref Uop u) where TFormat : struct, IFloatFormat where TPop : struct, IPopMode
    {
        if (!c.FpuCheck(true)) return;
        ulong la = c.OperandAddress(ref u, TFormat.Bytes, true);
        var env = FpEnv.For(c.Fcw, false);
        ulong bits;
        bool empty = c.FpuIsEmpty(0);
        if (empty) bits = TFormat.Indefinite;
        else bits = X87Math.ToBinary(c.St(0), TFormat.FractionBits, TFormat.ExponentBits, ref env);
        bool store = empty ? (c.Fcw & X87Sw.IE) != 0 : !Unmasked(ref env, X87Sw.IE | X87Sw.DE | X87Sw.OE | X87Sw.UE);
        if (!empty && Unmasked(ref env, X87Sw.OE | X87Sw.UE))
        {
            env.Flags &= ~X87Sw.PE; // nothing is stored, so nothing was rounded
            env.RoundedUp = false;
        }
        if (store) c.WriteSized(la, TFormat.Bytes, bits);
        c.FpuRecord(ref u, true);
        if (empty)
        {
            if (Underflow(c) && TPop.Pops) c.FpuPop();
            return;
        }
        SignalFlags(c, ref env);
        if (store && TPop.Pops) c.FpuPop();
    }

    private static void FstpM80(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        ulong la = c.OperandAddress(ref u, 10, true);
        bool empty = c.FpuIsEmpty(0);
        if (empty && (c.Fcw & X87Sw.IE) == 0)
        {
            c.FpuRecord(ref u, true);
            Underflow(c);
            return;
        }
        var v = empty ? Float80.Indefinite : c.St(0);
        Write80(c, la, Wrap(c), v.Significand, v.SignExponent);
        c.FpuRecord(ref u, true);
        if (empty) Underflow(c);
        else c.FpuSetC1(false);
        c.FpuPop();
    }

    private static void FstSt<TPop>(CpuCore c, ref Uop u) where TPop : struct, IPopMode
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        int i = St(ref u, 0);
        if (c.FpuIsEmpty(0))
        {
            if (!Underflow(c)) return;
            c.SetSt(i, Float80.Indefinite);
        }
        else
        {
            c.SetSt(i, c.St(0));
            c.FpuSetC1(false);
        }
        if (TPop.Pops) c.FpuPop();
    }

    // FIST/FISTP/FISTTP: a NaN, infinity or out-of-range value stores the integer indefinite when IE is masked and
    // nothing when it is not (SDM Vol. 2A FIST, FISTTP).
    private static void Fist<T, TPop, TRound>(CpuCore c, ref Uop u) where T : struct, IX87Source where TPop : struct, IPopMode where TRound : struct, IRoundMode
    {
        if (!c.FpuCheck(true)) return;
        ulong la = c.OperandAddress(ref u, T.Bytes, true);
        var env = FpEnv.For(c.Fcw, false);
        bool empty = c.FpuIsEmpty(0);
        long value = 0;
        bool ok = !empty && X87Math.ToInteger(c.St(0), T.Bytes, TRound.Truncate ? 3 : env.Rc, ref env, out value);
        bool masked = (c.Fcw & X87Sw.IE) != 0;
        if (ok) c.WriteSized(la, T.Bytes, (ulong)value);
        else if (masked) c.WriteSized(la, T.Bytes, X87Math.IntegerIndefinite(T.Bytes));
        c.FpuRecord(ref u, true);
        if (empty)
        {
            if (Underflow(c) && TPop.Pops) c.FpuPop();
            return;
        }
        if (!ok) env.RoundedUp = false;
        SignalFlags(c, ref env);
        if ((ok || masked) && TPop.Pops) c.FpuPop();
    }

    private static void Fbstp(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        ulong la = c.OperandAddress(ref u, 10, true);
        var env = FpEnv.For(c.Fcw, false);
        bool empty = c.FpuIsEmpty(0);
        ulong low = 0;
        ushort high = 0;
        bool ok = !empty && X87Math.ToBcd(c.St(0), ref env, out low, out high);
        bool masked = (c.Fcw & X87Sw.IE) != 0;
        if (!ok) (low, high) = X87Math.BcdIndefinite;
        if (ok || masked) Write80(c, la, Wrap(c), low, high);
        c.FpuRecord(ref u, true);
        if (empty)
        {
            if (Underflow(c)) c.FpuPop();
            return;
        }
        if (!ok) env.RoundedUp = false;
        SignalFlags(c, ref env);
        if (ok || masked) c.FpuPop();
    }

    // ---- register stack --------------------------------------------------------------------------------

    // FXCH: an empty operand is first replaced by the indefinite when IE is masked (SDM Vol. 2A FXCH).
    private static void Fxch(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        int i = St(ref u, 1);
        bool e0 = c.FpuIsEmpty(0), ei = c.FpuIsEmpty(i);
        if (e0 || ei)
        {
            if (!Underflow(c)) return;
            if (e0) c.SetSt(0, Float80.Indefinite);
            if (ei) c.SetSt(i, Float80.Indefinite);
        }
        else c.FpuSetC1(false);
        var a = c.St(0);
        c.SetSt(0, c.St(i));
        c.SetSt(i, a);
    }

    private static void Ffree<TPop>(CpuCore c, ref Uop u) where TPop : struct, IPopMode
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        c.FpuFree(c.FpuPhysical(St(ref u, 0)));
        if (TPop.Pops) c.FpuPop();
    }

    // FINCSTP/FDECSTP rotate TOP without touching tags or contents; C1 = 0 (SDM Vol. 2A).
    private static void Fincstp(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        c.FpuTop = c.FpuTop + 1;
        c.FpuSetC1(false);
    }

    private static void Fdecstp(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        c.FpuTop = c.FpuTop - 1;
        c.FpuSetC1(false);
    }

    // ---- type parameters -----------------------------------------------------------------------------

    private struct One : IConstant { public static X87Constant Value => X87Constants.One; }
    private struct Zero : IConstant { public static X87Constant Value => X87Constants.Zero; }
    private struct Pi : IConstant { public static X87Constant Value => X87Constants.Pi; }
    private struct L2e : IConstant { public static X87Constant Value => X87Constants.Log2E; }
    private struct L2t : IConstant { public static X87Constant Value => X87Constants.Log2Ten; }
    private struct Lg2 : IConstant { public static X87Constant Value => X87Constants.Log10Two; }
    private struct Ln2 : IConstant { public static X87Constant Value => X87Constants.LnTwo; }

    private interface IConstant
    {
        static abstract X87Constant Value { get; }
    }

    private struct Single : IFloatFormat
    {
        public static int Bytes => 4;
        public static int FractionBits => 23;
        public static int ExponentBits => 8;
        public static ulong Indefinite => 0xFFC0_0000;
    }

    private struct Double : IFloatFormat
    {
        public static int Bytes => 8;
        public static int FractionBits => 52;
        public static int ExponentBits => 11;
        public static ulong Indefinite => 0xFFF8_0000_0000_0000;
    }

    private interface IFloatFormat
    {
        static abstract int Bytes { get; }
        static abstract int FractionBits { get; }
        static abstract int ExponentBits { get; }
        static abstract ulong Indefinite { get; }
    }

    private struct Nearest : IRoundMode { public static bool Truncate => false; }
    private struct Truncating : IRoundMode { public static bool Truncate => true; }

    private interface IRoundMode
    {
        static abstract bool Truncate { get; }
    }
}

/// <summary>Whether an x87 instruction pops the register stack (type parameter of the handlers).</summary>
internal interface IPopMode
{
    static abstract bool Pops { get; }
}

/// <summary>The instruction pops.</summary>
internal struct Pop : IPopMode { public static bool Pops => true; }

/// <summary>The instruction does not pop.</summary>
internal struct NoPop : IPopMode { public static bool Pops => false; }
