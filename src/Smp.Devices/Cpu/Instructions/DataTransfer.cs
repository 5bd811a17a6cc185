using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>MOV and the other data-transfer instructions (SDM Vol. 1 §7.3.1).</summary>
internal static unsafe class DataTransfer
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Mov_r64_rm64, &MovGqEq);
        HandlerTable.Register(Code.Mov_rm64_r64, &MovEqGq);
        HandlerTable.Register(Code.Mov_r32_imm32, &MovRdId);
        HandlerTable.Register(Code.Mov_r64_imm64, &MovRqIq);
        HandlerTable.Register(Code.Mov_rm64_imm32, &MovEqId);
        HandlerTable.Register(Code.Nopd, &Nop);
        HandlerTable.Register(Code.Nopw, &Nop);
        HandlerTable.Register(Code.Nopq, &Nop);
        HandlerTable.Register(Code.Nop_rm16, &Nop);
        HandlerTable.Register(Code.Nop_rm32, &Nop);
        HandlerTable.Register(Code.Nop_rm64, &Nop);
    }

    private static void Nop(CpuCore c, ref Uop u) { }

    private static void MovGqEq(CpuCore c, ref Uop u) =>
        c.Set64(u.R0, u.R1 != Reg.None ? c.Get64(u.R1) : c.Read64(c.OperandAddress(ref u, 8, false)));

    private static void MovEqGq(CpuCore c, ref Uop u)
    {
        if (u.R0 != Reg.None) c.Set64(u.R0, c.Get64(u.R1));
        else c.Write64(c.OperandAddress(ref u, 8, true), c.Get64(u.R1));
    }

    private static void MovRdId(CpuCore c, ref Uop u) => c.Set32(u.R0, (uint)u.Imm);

    private static void MovRqIq(CpuCore c, ref Uop u) => c.Set64(u.R0, u.Imm);

    private static void MovEqId(CpuCore c, ref Uop u)
    {
        if (u.R0 != Reg.None) c.Set64(u.R0, u.Imm);
        else c.Write64(c.OperandAddress(ref u, 8, true), u.Imm);
    }
}
