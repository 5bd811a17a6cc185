using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>MOV between general-purpose registers, memory and immediates, all widths, moffs forms included (SDM Vol. 2B MOV).</summary>
internal static unsafe class DataTransferMov
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Mov_rm8_r8, &MovEG<W.B1>);
        HandlerTable.Register(Code.Mov_rm16_r16, &MovEG<W.B2>);
        HandlerTable.Register(Code.Mov_rm32_r32, &MovEG<W.B4>);
        HandlerTable.Register(Code.Mov_rm64_r64, &MovEG<W.B8>);
        HandlerTable.Register(Code.Mov_moffs8_AL, &MovEG<W.B1>);
        HandlerTable.Register(Code.Mov_moffs16_AX, &MovEG<W.B2>);
        HandlerTable.Register(Code.Mov_moffs32_EAX, &MovEG<W.B4>);
        HandlerTable.Register(Code.Mov_moffs64_RAX, &MovEG<W.B8>);

        HandlerTable.Register(Code.Mov_r8_rm8, &MovGE<W.B1>);
        HandlerTable.Register(Code.Mov_r16_rm16, &MovGE<W.B2>);
        HandlerTable.Register(Code.Mov_r32_rm32, &MovGE<W.B4>);
        HandlerTable.Register(Code.Mov_r64_rm64, &MovGE<W.B8>);
        HandlerTable.Register(Code.Mov_AL_moffs8, &MovGE<W.B1>);
        HandlerTable.Register(Code.Mov_AX_moffs16, &MovGE<W.B2>);
        HandlerTable.Register(Code.Mov_EAX_moffs32, &MovGE<W.B4>);
        HandlerTable.Register(Code.Mov_RAX_moffs64, &MovGE<W.B8>);

        HandlerTable.Register(Code.Mov_r8_imm8, &MovGI<W.B1>);
        HandlerTable.Register(Code.Mov_r16_imm16, &MovGI<W.B2>);
        HandlerTable.Register(Code.Mov_r32_imm32, &MovGI<W.B4>);
        HandlerTable.Register(Code.Mov_r64_imm64, &MovGI<W.B8>);
        HandlerTable.Register(Code.Mov_rm8_imm8, &MovEI<W.B1>);
        HandlerTable.Register(Code.Mov_rm16_imm16, &MovEI<W.B2>);
        HandlerTable.Register(Code.Mov_rm32_imm32, &MovEI<W.B4>);
        HandlerTable.Register(Code.Mov_rm64_imm32, &MovEI<W.B8>);

        HandlerTable.Register(Code.Movbe_r16_m16, &MovbeGM<W.B2>);
        HandlerTable.Register(Code.Movbe_r32_m32, &MovbeGM<W.B4>);
        HandlerTable.Register(Code.Movbe_r64_m64, &MovbeGM<W.B8>);
        HandlerTable.Register(Code.Movbe_m16_r16, &MovbeMG<W.B2>);
        HandlerTable.Register(Code.Movbe_m32_r32, &MovbeMG<W.B4>);
        HandlerTable.Register(Code.Movbe_m64_r64, &MovbeMG<W.B8>);
    }

    // r/m ← r (also moffs ← accumulator, whose operand 0 is a displacement-only memory operand).
    private static void MovEG<T>(CpuCore c, ref Uop u) where T : struct, IWidth
    {
        ulong v = W.Get<T>(c, u.R1);
        if (W.Op0IsReg<T>(ref u)) W.Set<T>(c, u.R0, v);
        else W.Store<T>(c, c.OperandAddress(ref u, T.Bytes, true), v);
    }

    private static void MovGE<T>(CpuCore c, ref Uop u) where T : struct, IWidth
    {
        ulong v = W.Op1IsReg<T>(ref u) ? W.Get<T>(c, u.R1) : W.Load<T>(c, c.OperandAddress(ref u, T.Bytes, false));
        W.Set<T>(c, u.R0, v);
    }

    private static void MovGI<T>(CpuCore c, ref Uop u) where T : struct, IWidth => W.Set<T>(c, u.R0, u.Imm);

    private static void MovEI<T>(CpuCore c, ref Uop u) where T : struct, IWidth
    {
        if (W.Op0IsReg<T>(ref u)) W.Set<T>(c, u.R0, u.Imm);
        else W.Store<T>(c, c.OperandAddress(ref u, T.Bytes, true), u.Imm);
    }

    private static ulong Swap<T>(ulong v) where T : struct, IWidth =>
        T.Bytes == 2 ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)v)
        : T.Bytes == 4 ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)v)
        : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);

    // MOVBE (SDM Vol. 2B): a load or store with the bytes reversed; only memory forms exist.
    private static void MovbeGM<T>(CpuCore c, ref Uop u) where T : struct, IWidth =>
        W.Set<T>(c, u.R0, Swap<T>(W.Load<T>(c, c.OperandAddress(ref u, T.Bytes, false))));

    private static void MovbeMG<T>(CpuCore c, ref Uop u) where T : struct, IWidth =>
        W.Store<T>(c, c.OperandAddress(ref u, T.Bytes, true), Swap<T>(W.Get<T>(c, u.R1)));
}
