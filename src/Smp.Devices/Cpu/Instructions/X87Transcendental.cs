using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Fpu;
using static Smp.Devices.Cpu.Instructions.X87Common;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// x87 transcendental instructions (SDM Vol. 1 §8.3.9–8.3.10, Vol. 2A): FSIN, FCOS, FSINCOS, FPTAN (C2 = 1 and no
/// change for |x| ≥ 2^63), FPATAN, F2XM1, FYL2X, FYL2XP1. Results have 64-bit precision whatever FCW.PC says.
/// </summary>
internal static unsafe class X87Transcendental
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Fsin, &Fsin);
        HandlerTable.Register(Code.Fcos, &Fcos);
        HandlerTable.Register(Code.Fsincos, &Fsincos);
        HandlerTable.Register(Code.Fptan, &Fptan);
        HandlerTable.Register(Code.Fpatan, &Fpatan);
        HandlerTable.Register(Code.F2xm1, &F2xm1);
        HandlerTable.Register(Code.Fyl2x, &Fyl2x);
        HandlerTable.Register(Code.Fyl2xp1, &Fyl2xp1);
    }

    private static void Fsin(CpuCore c, ref Uop u) => SinOrCos(c, ref u, false);

    private static void Fcos(CpuCore c, ref Uop u) => SinOrCos(c, ref u, true);

    private static void SinOrCos(CpuCore c, ref Uop u, bool cosine)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0))
        {
            c.FpuSetConditionCodes(c.Fsw & ~X87Sw.C2);
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        if (!OperandInRange(c)) return;
        var env = FpEnv.For(c.Fcw, false);
        var r = X87Math.SinOrCos(c.St(0), cosine, ref env);
        Commit(c, 0, r, ref env, false);
    }

    // |ST(0)| ≥ 2^63: C2 = 1, C1 = 0 and the operand is left for the program to reduce (SDM Vol. 2A FSIN).
    private static bool OperandInRange(CpuCore c)
    {
        bool inRange = X87Math.TrigInRange(c.St(0));
        c.FpuSetConditionCodes((c.Fsw & ~X87Sw.C2) | (inRange ? 0 : X87Sw.C2));
        if (!inRange) c.FpuSetC1(false);
        return inRange;
    }

    // FSINCOS: ST(0) ← sin, then push cos. FPTAN: ST(0) ← tan, then push 1.0.
    private static void Fsincos(CpuCore c, ref Uop u) => TwoResults(c, ref u, tangent: false);

    private static void Fptan(CpuCore c, ref Uop u) => TwoResults(c, ref u, tangent: true);

    private static void TwoResults(CpuCore c, ref Uop u, bool tangent)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        bool empty = c.FpuIsEmpty(0);
        if (empty || PushOverflows(c))
        {
            c.FpuSetConditionCodes(c.Fsw & ~X87Sw.C2);
            if (!(empty ? Underflow(c) : Overflow(c))) return;
            c.SetSt(0, Float80.Indefinite);
            c.FpuPush(Float80.Indefinite);
            return;
        }
        if (!OperandInRange(c)) return;
        var x = c.St(0);
        var env = FpEnv.For(c.Fcw, false);
        Float80 first, second;
        if (tangent)
        {
            first = X87Math.Tan(x, ref env);
            second = Float80.One;
        }
        else
        {
            first = X87Math.SinOrCos(x, false, ref env);
            var cosEnv = FpEnv.For(c.Fcw, false);
            second = X87Math.SinOrCos(x, true, ref cosEnv);
            env.Flags |= cosEnv.Flags;
            env.RoundedUp = cosEnv.RoundedUp;
        }
        if (env.PreComputationFault)
        {
            c.FpuSetC1(false);
            c.FpuSignal(env.Flags);
            return;
        }
        // A NaN operand yields the NaN in both places.
        if (first.IsNaN && tangent) second = first;
        c.SetSt(0, first);
        c.FpuPush(second);
        c.FpuSetC1(env.RoundedUp && (env.Flags & X87Sw.PE) != 0);
        c.FpuSignal(env.Flags);
    }

    private static void F2xm1(CpuCore c, ref Uop u)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0))
        {
            if (Underflow(c)) c.SetSt(0, Float80.Indefinite);
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        var r = X87Math.Exp2Minus1(c.St(0), ref env);
        Commit(c, 0, r, ref env, false);
    }

    // ST(1) ← f(ST(1), ST(0)), then pop.
    private static void Fpatan(CpuCore c, ref Uop u) => OnSt1AndPop(c, ref u, 0);

    private static void Fyl2x(CpuCore c, ref Uop u) => OnSt1AndPop(c, ref u, 1);

    private static void Fyl2xp1(CpuCore c, ref Uop u) => OnSt1AndPop(c, ref u, 2);

    private static void OnSt1AndPop(CpuCore c, ref Uop u, int function)
    {
        if (!c.FpuCheck(true)) return;
        c.FpuRecord(ref u, false);
        if (c.FpuIsEmpty(0) || c.FpuIsEmpty(1))
        {
            if (!Underflow(c)) return;
            c.SetSt(1, Float80.Indefinite);
            c.FpuPop();
            return;
        }
        var env = FpEnv.For(c.Fcw, false);
        var y = c.St(1);
        var x = c.St(0);
        var r = function switch
        {
            0 => X87Math.Atan2(y, x, ref env),
            1 => X87Math.YLog2X(y, x, ref env),
            _ => X87Math.YLog2XP1(y, x, ref env),
        };
        Commit(c, 1, r, ref env, true);
    }
}
