using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>Near and far jumps, conditional jumps, calls, returns, loops (SDM Vol. 1 §7.3.8).</summary>
internal static unsafe class ControlTransfer
{
    [InstructionFamily]
    internal static void Register()
    {
        for (int cc = 0; cc < 16; cc++)
        {
            HandlerTable.Register(Code.Jo_rel8_64 + cc * 3 /* rel8_16, rel8_32, rel8_64 per condition */ , &Jcc64);
        }
        HandlerTable.Register(Code.Jmp_rel8_64, &Jmp64);
        HandlerTable.Register(Code.Jmp_rel32_64, &Jmp64);
    }

    private static void Jcc64(CpuCore c, ref Uop u)
    {
        if (c.Condition((int)u.Instr.ConditionCode - 1)) c.NextRip += u.Imm;
    }

    private static void Jmp64(CpuCore c, ref Uop u) => c.NextRip += u.Imm;
}
