using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Sign and zero extension: CBW/CWDE/CDQE, CWD/CDQ/CQO, MOVZX, MOVSX, MOVSXD (SDM Vol. 1 §7.3.1.6;
/// Vol. 2A "CBW/CWDE/CDQE", "CWD/CDQ/CQO", Vol. 2B "MOVSX/MOVSXD", "MOVZX"). No flags change.
/// </summary>
internal static unsafe class Conversions
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Cbw, &Cbw);
        HandlerTable.Register(Code.Cwde, &Cwde);
        HandlerTable.Register(Code.Cdqe, &Cdqe);
        HandlerTable.Register(Code.Cwd, &Cwd);
        HandlerTable.Register(Code.Cdq, &Cdq);
        HandlerTable.Register(Code.Cqo, &Cqo);

        HandlerTable.Register(Code.Movzx_r16_rm8, &Movzx<Size16, Size8>);
        HandlerTable.Register(Code.Movzx_r32_rm8, &Movzx<Size32, Size8>);
        HandlerTable.Register(Code.Movzx_r64_rm8, &Movzx<Size64, Size8>);
        HandlerTable.Register(Code.Movzx_r16_rm16, &Movzx<Size16, Size16>);
        HandlerTable.Register(Code.Movzx_r32_rm16, &Movzx<Size32, Size16>);
        HandlerTable.Register(Code.Movzx_r64_rm16, &Movzx<Size64, Size16>);

        HandlerTable.Register(Code.Movsx_r16_rm8, &Movsx<Size16, Size8>);
        HandlerTable.Register(Code.Movsx_r32_rm8, &Movsx<Size32, Size8>);
        HandlerTable.Register(Code.Movsx_r64_rm8, &Movsx<Size64, Size8>);
        HandlerTable.Register(Code.Movsx_r16_rm16, &Movsx<Size16, Size16>);
        HandlerTable.Register(Code.Movsx_r32_rm16, &Movsx<Size32, Size16>);
        HandlerTable.Register(Code.Movsx_r64_rm16, &Movsx<Size64, Size16>);

        // MOVSXD without REX.W is an ordinary 16/32-bit move (SDM: "use of MOVSXD without REX.W is discouraged").
        HandlerTable.Register(Code.Movsxd_r16_rm16, &Movzx<Size16, Size16>);
        HandlerTable.Register(Code.Movsxd_r32_rm32, &Movzx<Size32, Size32>);
        HandlerTable.Register(Code.Movsxd_r64_rm32, &Movsx<Size64, Size32>);
    }

    private static void Cbw(CpuCore c, ref Uop u) => c.Set16(Reg.RAX, (ushort)(sbyte)c.Get8(Reg.RAX));

    private static void Cwde(CpuCore c, ref Uop u) => c.Set32(Reg.RAX, (uint)(short)c.Get16(Reg.RAX));

    private static void Cdqe(CpuCore c, ref Uop u) => c.Set64(Reg.RAX, (ulong)(int)c.Get32(Reg.RAX));

    private static void Cwd(CpuCore c, ref Uop u) => c.Set16(Reg.RDX, (ushort)((short)c.Get16(Reg.RAX) >> 15));

    private static void Cdq(CpuCore c, ref Uop u) => c.Set32(Reg.RDX, (uint)((int)c.Get32(Reg.RAX) >> 31));

    private static void Cqo(CpuCore c, ref Uop u) => c.Set64(Reg.RDX, (ulong)((long)c.Get64(Reg.RAX) >> 63));

    private static void Movzx<TD, TSrc>(CpuCore c, ref Uop u) where TD : struct, IOperandSize where TSrc : struct, IOperandSize =>
        TD.Set(c, u.R0, Alu.ReadRm1<TSrc>(c, ref u));

    private static void Movsx<TD, TSrc>(CpuCore c, ref Uop u) where TD : struct, IOperandSize where TSrc : struct, IOperandSize =>
        TD.Set(c, u.R0, (ulong)Alu.SignExtend<TSrc>(Alu.ReadRm1<TSrc>(c, ref u)));
}
