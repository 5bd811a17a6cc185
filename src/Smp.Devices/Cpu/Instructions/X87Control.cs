using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Fpu;
using static Smp.Devices.Cpu.Instructions.X87Common;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// x87 control (SDM Vol. 1 §8.3.11, Vol. 2A): FNINIT/FINIT, FNCLEX/FCLEX, FLDCW, FNSTCW/FSTCW, FNSTSW/FSTSW,
/// FNSTENV/FSTENV and FLDENV, FNSAVE/FSAVE and FRSTOR in their 16- and 32-bit layouts for real and protected mode
/// (Figures 8-9 to 8-12), WAIT/FWAIT, FNOP, and the 287 leftovers FNENI/FNDISI/FNSETPM, which a 387 and later treat
/// as FNOP. The FN forms do not check for pending exceptions; the forms Iced decodes with their 9Bh prefix
/// (FINIT, FSTENV, ...) are a WAIT followed by the FN form.
/// </summary>
internal static unsafe class X87Control
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Fninit, &Fninit<NoWait>);
        HandlerTable.Register(Code.Finit, &Fninit<Wait>);
        HandlerTable.Register(Code.Fnclex, &Fnclex<NoWait>);
        HandlerTable.Register(Code.Fclex, &Fnclex<Wait>);
        HandlerTable.Register(Code.Fldcw_m2byte, &Fldcw);
        HandlerTable.Register(Code.Fnstcw_m2byte, &Fnstcw<NoWait>);
        HandlerTable.Register(Code.Fstcw_m2byte, &Fnstcw<Wait>);
        HandlerTable.Register(Code.Fnstsw_m2byte, &FnstswM<NoWait>);
        HandlerTable.Register(Code.Fstsw_m2byte, &FnstswM<Wait>);
        HandlerTable.Register(Code.Fnstsw_AX, &FnstswAx<NoWait>);
        HandlerTable.Register(Code.Fstsw_AX, &FnstswAx<Wait>);
        HandlerTable.Register(Code.Fnstenv_m14byte, &Fnstenv<NoWait, Layout16>);
        HandlerTable.Register(Code.Fnstenv_m28byte, &Fnstenv<NoWait, Layout32>);
        HandlerTable.Register(Code.Fstenv_m14byte, &Fnstenv<Wait, Layout16>);
        HandlerTable.Register(Code.Fstenv_m28byte, &Fnstenv<Wait, Layout32>);
        HandlerTable.Register(Code.Fldenv_m14byte, &Fldenv<Layout16>);
        HandlerTable.Register(Code.Fldenv_m28byte, &Fldenv<Layout32>);
        HandlerTable.Register(Code.Fnsave_m94byte, &Fnsave<NoWait, Layout16>);
        HandlerTable.Register(Code.Fnsave_m108byte, &Fnsave<NoWait, Layout32>);
        HandlerTable.Register(Code.Fsave_m94byte, &Fnsave<Wait, Layout16>);
        HandlerTable.Register(Code.Fsave_m108byte, &Fnsave<Wait, Layout32>);
        HandlerTable.Register(Code.Frstor_m94byte, &Frstor<Layout16>);
        HandlerTable.Register(Code.Frstor_m108byte, &Frstor<Layout32>);
        HandlerTable.Register(Code.Wait, &FwaitHandler);
        HandlerTable.Register(Code.Fnop, &Fnop);
        HandlerTable.Register(&Obsolete<NoWait>, false, Code.Fneni, Code.Fndisi, Code.Fnsetpm);
        HandlerTable.Register(&Obsolete<Wait>, false, Code.Feni, Code.Fdisi, Code.Fsetpm);
    }

    // The checks of a control instruction: for the 9Bh forms first those of WAIT, then #NM for CR0.EM/TS.
    private static bool Enter<TWait>(CpuCore c) where TWait : struct, IWaitMode
    {
        if (TWait.Waits && !c.FpuCheckWait()) return false;
        return c.FpuCheck(false);
    }

    private static void Fninit<TWait>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode
    {
        if (Enter<TWait>(c)) c.FpuInit();
    }

    private static void Fnclex<TWait>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode
    {
        if (Enter<TWait>(c)) c.FpuClearExceptions();
    }

    // FLDCW is a waiting instruction; unmasking a flag that is set makes the exception pending for the next one.
    private static void Fldcw(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        ushort cw = c.Read16(c.OperandAddress(ref u, 2, false));
        c.Fcw = X87Control.LoadableFcw(cw);
        c.FpuUpdateErrorSummary();
    }

    private static void Fnstcw<TWait>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode
    {
        if (!Enter<TWait>(c)) return;
        c.Write16(c.OperandAddress(ref u, 2, true), c.Fcw);
    }

    private static void FnstswM<TWait>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode
    {
        if (!Enter<TWait>(c)) return;
        c.Write16(c.OperandAddress(ref u, 2, true), c.Fsw);
    }

    private static void FnstswAx<TWait>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode
    {
        if (Enter<TWait>(c)) c.Set16(Reg.RAX, c.Fsw);
    }

    private static void FwaitHandler(CpuCore c, ref Uop u) => c.FpuCheckWait();

    private static void Fnop(CpuCore c, ref Uop u)
    {
        if (c.FpuCheck(true)) c.FpuRecord(ref u, false);
    }

    private static void Obsolete<TWait>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode => Enter<TWait>(c);

    /// <summary>The control word as loaded: reserved bits 7 and 13–15 read as 0 and bit 6 as 1 (SDM Vol. 1 Figure 8-6).</summary>
    internal static ushort LoadableFcw(ushort cw) => (ushort)((cw & 0x1F3F) | 0x0040);

    // ---- environment and state images ----------------------------------------------------------------

    // FNSTENV stores the environment and then masks every exception (SDM Vol. 2A FSTENV), so nothing stays pending.
    private static void Fnstenv<TWait, TLayout>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode where TLayout : struct, ILayout
    {
        if (!Enter<TWait>(c)) return;
        ulong la = c.OperandAddress(ref u, TLayout.EnvBytes, true);
        StoreEnvironment<TLayout>(c, la);
        c.Fcw |= X87Sw.Exceptions;
        c.FpuUpdateErrorSummary();
    }

    private static void Fldenv<TLayout>(CpuCore c, ref Uop u) where TLayout : struct, ILayout
    {
        if (!c.FpuCheck(false)) return;
        ulong la = c.OperandAddress(ref u, TLayout.EnvBytes, false);
        var env = ReadEnvironment<TLayout>(c, la);
        LoadEnvironment(c, env);
    }

    // FNSAVE: the environment, ST(0)–ST(7) in stack order, then FNINIT (SDM Vol. 2A FSAVE).
    private static void Fnsave<TWait, TLayout>(CpuCore c, ref Uop u) where TWait : struct, IWaitMode where TLayout : struct, ILayout
    {
        if (!Enter<TWait>(c)) return;
        ulong wrap = Wrap(c);
        ulong la = c.OperandAddress(ref u, TLayout.EnvBytes + 80, true);
        ProbeWrite(c, la, TLayout.EnvBytes + 80, wrap);
        StoreEnvironment<TLayout>(c, la);
        for (int i = 0; i < 8; i++)
        {
            var r = c.St(i);
            Write80(c, (la + (ulong)(TLayout.EnvBytes + 10 * i)) & wrap, wrap, r.Significand, r.SignExponent);
        }
        c.FpuInit();
    }

    private static void Frstor<TLayout>(CpuCore c, ref Uop u) where TLayout : struct, ILayout
    {
        if (!c.FpuCheck(false)) return;
        ulong wrap = Wrap(c);
        ulong la = c.OperandAddress(ref u, TLayout.EnvBytes + 80, false);
        var env = ReadEnvironment<TLayout>(c, la);
        Span<Float80> regs = stackalloc Float80[8];
        for (int i = 0; i < 8; i++) regs[i] = Read80(c, (la + (ulong)(TLayout.EnvBytes + 10 * i)) & wrap, wrap);
        int top = (env.Fsw >> X87Sw.TopShift) & 7;
        for (int i = 0; i < 8; i++) c.FpuRegisters[(top + i) & 7] = regs[i];
        LoadEnvironment(c, env);
    }

    private struct Environment
    {
        public ushort Fcw, Fsw, Ftw, Fop, Cs, Ds;
        public ulong Ip, Dp;
    }

    // Real-address and virtual-8086 mode store 20/32-bit linear pointers and the opcode; protected mode (and 64-bit
    // mode, which uses the 32-bit protected layout) stores offsets with their selectors (SDM Vol. 1 §8.1.10).
    private static bool RealLayout(CpuCore c) => !c.ProtectedMode || (c.GetRflags() & Rflags.VM) != 0;

    private static void StoreEnvironment<TLayout>(CpuCore c, ulong la) where TLayout : struct, ILayout
    {
        ulong wrap = Wrap(c);
        ProbeWrite(c, la, TLayout.EnvBytes, wrap);
        ushort ftw = c.FpuTagWord();
        bool real = RealLayout(c);
        ulong ip = real ? ((ulong)c.FpuCs << 4) + c.FpuIp : c.FpuIp;
        ulong dp = real ? ((ulong)c.FpuDs << 4) + c.FpuDp : c.FpuDp;
        if (TLayout.Is32)
        {
            // Figures 8-9 and 8-10: 32-bit fields; reserved halves are written as ones, as Intel processors do.
            Span<uint> d = stackalloc uint[7];
            d[0] = 0xFFFF_0000u | c.Fcw;
            d[1] = 0xFFFF_0000u | c.Fsw;
            d[2] = 0xFFFF_0000u | ftw;
            if (real)
            {
                d[3] = 0xFFFF_0000u | (ushort)ip;
                d[4] = (uint)((ip >> 16) & 0xFFFF) << 12 | (uint)(c.Fop & 0x7FF);
                d[5] = 0xFFFF_0000u | (ushort)dp;
                d[6] = (uint)((dp >> 16) & 0xFFFF) << 12;
            }
            else
            {
                d[3] = (uint)ip;
                d[4] = c.FpuCs | (uint)(c.Fop & 0x7FF) << 16;
                d[5] = (uint)dp;
                d[6] = 0xFFFF_0000u | c.FpuDs;
            }
            for (int i = 0; i < 7; i++) c.Write32((la + (ulong)(4 * i)) & wrap, d[i]);
        }
        else
        {
            // Figures 8-11 and 8-12: 16-bit fields.
            Span<ushort> w = stackalloc ushort[7];
            w[0] = c.Fcw;
            w[1] = c.Fsw;
            w[2] = ftw;
            if (real)
            {
                w[3] = (ushort)ip;
                w[4] = (ushort)((((ip >> 16) & 0xF) << 12) | (uint)(c.Fop & 0x7FF));
                w[5] = (ushort)dp;
                w[6] = (ushort)(((dp >> 16) & 0xF) << 12);
            }
            else
            {
                w[3] = (ushort)ip;
                w[4] = c.FpuCs;
                w[5] = (ushort)dp;
                w[6] = c.FpuDs;
            }
            for (int i = 0; i < 7; i++) c.Write16((la + (ulong)(2 * i)) & wrap, w[i]);
        }
    }

    private static Environment ReadEnvironment<TLayout>(CpuCore c, ulong la) where TLayout : struct, ILayout
    {
        ulong wrap = Wrap(c);
        bool real = RealLayout(c);
        var e = new Environment();
        if (TLayout.Is32)
        {
            Span<uint> d = stackalloc uint[7];
            for (int i = 0; i < 7; i++) d[i] = c.Read32((la + (ulong)(4 * i)) & wrap);
            e.Fcw = (ushort)d[0];
            e.Fsw = (ushort)d[1];
            e.Ftw = (ushort)d[2];
            if (real)
            {
                e.Ip = (d[3] & 0xFFFF) | ((ulong)(d[4] >> 12) & 0xFFFF) << 16;
                e.Fop = (ushort)(d[4] & 0x7FF);
                e.Dp = (d[5] & 0xFFFF) | ((ulong)(d[6] >> 12) & 0xFFFF) << 16;
            }
            else
            {
                e.Ip = d[3];
                e.Cs = (ushort)d[4];
                e.Fop = (ushort)((d[4] >> 16) & 0x7FF);
                e.Dp = d[5];
                e.Ds = (ushort)d[6];
            }
        }
        else
        {
            Span<ushort> w = stackalloc ushort[7];
            for (int i = 0; i < 7; i++) w[i] = c.Read16((la + (ulong)(2 * i)) & wrap);
            e.Fcw = w[0];
            e.Fsw = w[1];
            e.Ftw = w[2];
            if (real)
            {
                e.Ip = w[3] | (ulong)(w[4] >> 12) << 16;
                e.Fop = (ushort)(w[4] & 0x7FF);
                e.Dp = w[5] | (ulong)(w[6] >> 12) << 16;
            }
            else
            {
                e.Ip = w[3];
                e.Cs = w[4];
                e.Dp = w[5];
                e.Ds = w[6];
            }
        }
        return e;
    }

    // The loaded status word's ES follows its flags and the loaded masks: an unmasked flag is pending again.
    private static void LoadEnvironment(CpuCore c, Environment e)
    {
        c.Fcw = LoadableFcw(e.Fcw);
        c.Fsw = e.Fsw;
        c.FpuLoadTagWord(e.Ftw);
        c.Fop = e.Fop;
        c.FpuIp = e.Ip;
        c.FpuDp = e.Dp;
        c.FpuCs = e.Cs;
        c.FpuDs = e.Ds;
        c.FpuUpdateErrorSummary();
    }

    // ---- type parameters -------------------------------------------------------------------------

    private interface IWaitMode
    {
        static abstract bool Waits { get; }
    }

    private struct Wait : IWaitMode { public static bool Waits => true; }
    private struct NoWait : IWaitMode { public static bool Waits => false; }

    private interface ILayout
    {
        static abstract bool Is32 { get; }
        static abstract int EnvBytes { get; }
    }

    private struct Layout16 : ILayout
    {
        public static bool Is32 => false;
        public static int EnvBytes => 14;
    }

    private struct Layout32 : ILayout
    {
        public static bool Is32 => true;
        public static int EnvBytes => 28;
    }
}
