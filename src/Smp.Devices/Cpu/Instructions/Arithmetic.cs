using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>Binary arithmetic: ADD, ADC, SUB, SBB, CMP, INC, DEC, NEG (SDM Vol. 1 §7.3.2).</summary>
internal static unsafe class Arithmetic
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Add_rm64_r64, &AddEqGq);
        HandlerTable.Register(Code.Sub_rm64_imm8, &SubEqIb);
        HandlerTable.Register(Code.Dec_rm64, &DecEq);
        HandlerTable.Register(Code.Cmp_rm64_imm8, &CmpEqIb);
    }

    private static void AddEqGq(CpuCore c, ref Uop u)
    {
        ulong b = c.Get64(u.R1);
        if (u.R0 != Reg.None)
        {
            ulong a = c.Get64(u.R0), r = a + b;
            c.Set64(u.R0, r);
            c.SetFlagsAdd(3, a, b, r);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, 8, true);
            ulong a = c.Read64(la), r = a + b;
            c.Write64(la, r);
            c.SetFlagsAdd(3, a, b, r);
        }
    }

    private static void SubEqIb(CpuCore c, ref Uop u)
    {
        ulong b = u.Imm;
        if (u.R0 != Reg.None)
        {
            ulong a = c.Get64(u.R0), r = a - b;
            c.Set64(u.R0, r);
            c.SetFlagsSub(3, a, b, r);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, 8, true);
            ulong a = c.Read64(la), r = a - b;
            c.Write64(la, r);
            c.SetFlagsSub(3, a, b, r);
        }
    }

    private static void CmpEqIb(CpuCore c, ref Uop u)
    {
        ulong a = u.R0 != Reg.None ? c.Get64(u.R0) : c.Read64(c.OperandAddress(ref u, 8, false));
        c.SetFlagsSub(3, a, u.Imm, a - u.Imm);
    }

    private static void DecEq(CpuCore c, ref Uop u)
    {
        if (u.R0 != Reg.None)
        {
            ulong a = c.Get64(u.R0), r = a - 1;
            c.Set64(u.R0, r);
            c.SetFlagsDec(3, a, r);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, 8, true);
            ulong a = c.Read64(la), r = a - 1;
            c.Write64(la, r);
            c.SetFlagsDec(3, a, r);
        }
    }
}
