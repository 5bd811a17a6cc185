using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>Far JMP, CALL and RET, direct (ptr16:16/32) and indirect (m16:16/32/64) (SDM Vol. 2A JMP, CALL; Vol. 2B RET).</summary>
internal static unsafe class SegmentsFar
{
    [InstructionFamily]
    internal static void Register()
    {
        // Far transfers may switch modes: they end blocks (Iced's flow control does too).
        HandlerTable.Register(&JmpAp, true, Code.Jmp_ptr1616, Code.Jmp_ptr1632);
        HandlerTable.Register(&JmpEp, true, Code.Jmp_m1616, Code.Jmp_m1632, Code.Jmp_m1664);
        HandlerTable.Register(&CallAp, true, Code.Call_ptr1616, Code.Call_ptr1632);
        HandlerTable.Register(&CallEp, true, Code.Call_m1616, Code.Call_m1632, Code.Call_m1664);
        HandlerTable.Register(&Retf, true, Code.Retfw, Code.Retfd, Code.Retfq, Code.Retfw_imm16, Code.Retfd_imm16, Code.Retfq_imm16);
    }

    private static int OperandSize(Code code) => code switch
    {
        Code.Jmp_ptr1616 or Code.Jmp_m1616 or Code.Call_ptr1616 or Code.Call_m1616 or Code.Retfw or Code.Retfw_imm16 => 2,
        Code.Jmp_m1664 or Code.Call_m1664 or Code.Retfq or Code.Retfq_imm16 => 8,
        _ => 4,
    };

    private static void JmpAp(CpuCore c, ref Uop u) => c.FarJump((ushort)u.Imm2, u.Imm);

    private static void CallAp(CpuCore c, ref Uop u) => c.FarCall((ushort)u.Imm2, u.Imm, OperandSize(u.Instr.Code));

    private static void ReadFarPointer(CpuCore c, ref Uop u, out ushort sel, out ulong offset, out int size)
    {
        size = OperandSize(u.Instr.Code);
        ulong la = c.OperandAddress(ref u, size + 2, false);
        offset = c.ReadSized(la, size);
        sel = c.Read16(la + (ulong)size);
    }

    private static void JmpEp(CpuCore c, ref Uop u)
    {
        ReadFarPointer(c, ref u, out ushort sel, out ulong offset, out _);
        c.FarJump(sel, offset);
    }

    private static void CallEp(CpuCore c, ref Uop u)
    {
        ReadFarPointer(c, ref u, out ushort sel, out ulong offset, out int size);
        c.FarCall(sel, offset, size);
    }

    private static void Retf(CpuCore c, ref Uop u)
    {
        var code = u.Instr.Code;
        ushort release = code is Code.Retfw_imm16 or Code.Retfd_imm16 or Code.Retfq_imm16 ? (ushort)u.Imm : (ushort)0;
        c.FarReturn(OperandSize(code), release);
    }
}
