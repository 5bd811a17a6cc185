using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>MOV between general-purpose registers, memory and immediates, all widths, moffs forms included (SDM Vol. 2B MOV).</summary>
internal static unsafe class DataTransferMov
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Mov_rm8_r8, &MovEG<Size8>);
        HandlerTable.Register(Code.Mov_rm16_r16, &MovEG<Size16>);
        HandlerTable.Register(Code.Mov_rm32_r32, &MovEG<Size32>);
        HandlerTable.Register(Code.Mov_rm64_r64, &MovEG<Size64>);
        HandlerTable.Register(Code.Mov_moffs8_AL, &MovEG<Size8>);
        HandlerTable.Register(Code.Mov_moffs16_AX, &MovEG<Size16>);
        HandlerTable.Register(Code.Mov_moffs32_EAX, &MovEG<Size32>);
        HandlerTable.Register(Code.Mov_moffs64_RAX, &MovEG<Size64>);

        HandlerTable.Register(Code.Mov_r8_rm8, &MovGE<Size8>);
        HandlerTable.Register(Code.Mov_r16_rm16, &MovGE<Size16>);
        HandlerTable.Register(Code.Mov_r32_rm32, &MovGE<Size32>);
        HandlerTable.Register(Code.Mov_r64_rm64, &MovGE<Size64>);
        HandlerTable.Register(Code.Mov_AL_moffs8, &MovGE<Size8>);
        HandlerTable.Register(Code.Mov_AX_moffs16, &MovGE<Size16>);
        HandlerTable.Register(Code.Mov_EAX_moffs32, &MovGE<Size32>);
        HandlerTable.Register(Code.Mov_RAX_moffs64, &MovGE<Size64>);

        HandlerTable.Register(Code.Mov_r8_imm8, &MovGI<Size8>);
        HandlerTable.Register(Code.Mov_r16_imm16, &MovGI<Size16>);
        HandlerTable.Register(Code.Mov_r32_imm32, &MovGI<Size32>);
        HandlerTable.Register(Code.Mov_r64_imm64, &MovGI<Size64>);
        HandlerTable.Register(Code.Mov_rm8_imm8, &MovEI<Size8>);
        HandlerTable.Register(Code.Mov_rm16_imm16, &MovEI<Size16>);
        HandlerTable.Register(Code.Mov_rm32_imm32, &MovEI<Size32>);
        HandlerTable.Register(Code.Mov_rm64_imm32, &MovEI<Size64>);

        HandlerTable.Register(Code.Movbe_r16_m16, &MovbeGM<Size16>);
        HandlerTable.Register(Code.Movbe_r32_m32, &MovbeGM<Size32>);
        HandlerTable.Register(Code.Movbe_r64_m64, &MovbeGM<Size64>);
        HandlerTable.Register(Code.Movbe_m16_r16, &MovbeMG<Size16>);
        HandlerTable.Register(Code.Movbe_m32_r32, &MovbeMG<Size32>);
        HandlerTable.Register(Code.Movbe_m64_r64, &MovbeMG<Size64>);
    }

    // r/m ← r (also moffs ← accumulator, whose operand 0 is a displacement-only memory operand).
    private static void MovEG<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong v = T.Get(c, u.R1);
        if ((u.R0 != Reg.None)) T.Set(c, u.R0, v);
        else T.Write(c, c.OperandAddress(ref u, T.Bytes, true), v);
    }

    private static void MovGE<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong v = (u.R1 != Reg.None) ? T.Get(c, u.R1) : T.Read(c, c.OperandAddress(ref u, T.Bytes, false));
        T.Set(c, u.R0, v);
    }

    private static void MovGI<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => T.Set(c, u.R0, u.Imm);

    private static void MovEI<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        if ((u.R0 != Reg.None)) T.Set(c, u.R0, u.Imm);
        else T.Write(c, c.OperandAddress(ref u, T.Bytes, true), u.Imm);
    }

    private static ulong Swap<T>(ulong v) where T : struct, IOperandSize =>
        T.Bytes == 2 ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)v)
        : T.Bytes == 4 ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)v)
        : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);

    // MOVBE (SDM Vol. 2B): a load or store with the bytes reversed; only memory forms exist.
    private static void MovbeGM<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize =>
        T.Set(c, u.R0, Swap<T>(T.Read(c, c.OperandAddress(ref u, T.Bytes, false))));

    private static void MovbeMG<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize =>
        T.Write(c, c.OperandAddress(ref u, T.Bytes, true), Swap<T>(T.Get(c, u.R1)));
}
