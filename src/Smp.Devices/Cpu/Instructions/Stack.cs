using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// PUSH and POP of registers, memory, immediates and segment registers, PUSHA/POPA (SDM Vol. 1 §7.3.1.4,
/// Vol. 2B PUSH/POP). The operand size comes from the Iced code; the stack width from the mode and SS.B.
/// </summary>
internal static unsafe class Stack
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Push_r16, &PushR<Size16>);
        HandlerTable.Register(Code.Push_r32, &PushR<Size32>);
        HandlerTable.Register(Code.Push_r64, &PushR<Size64>);
        HandlerTable.Register(Code.Pop_r16, &PopR<Size16>);
        HandlerTable.Register(Code.Pop_r32, &PopR<Size32>);
        HandlerTable.Register(Code.Pop_r64, &PopR<Size64>);
        HandlerTable.Register(Code.Push_rm16, &PushE<Size16>);
        HandlerTable.Register(Code.Push_rm32, &PushE<Size32>);
        HandlerTable.Register(Code.Push_rm64, &PushE<Size64>);
        HandlerTable.Register(Code.Pop_rm16, &PopE<Size16>);
        HandlerTable.Register(Code.Pop_rm32, &PopE<Size32>);
        HandlerTable.Register(Code.Pop_rm64, &PopE<Size64>);
        HandlerTable.Register(&PushI<Size16>, false, Code.Push_imm16, Code.Pushw_imm8);
        HandlerTable.Register(&PushI<Size32>, false, Code.Pushd_imm32, Code.Pushd_imm8);
        HandlerTable.Register(&PushI<Size64>, false, Code.Pushq_imm32, Code.Pushq_imm8);

        HandlerTable.Register(&PushSreg<Size16>, false, Code.Pushw_ES, Code.Pushw_CS, Code.Pushw_SS, Code.Pushw_DS, Code.Pushw_FS, Code.Pushw_GS);
        HandlerTable.Register(&PushSreg<Size32>, false, Code.Pushd_ES, Code.Pushd_CS, Code.Pushd_SS, Code.Pushd_DS, Code.Pushd_FS, Code.Pushd_GS);
        HandlerTable.Register(&PushSreg<Size64>, false, Code.Pushq_FS, Code.Pushq_GS);

        HandlerTable.Register(Code.Pushaw, &Pusha<Size16>);
        HandlerTable.Register(Code.Pushad, &Pusha<Size32>);
        HandlerTable.Register(Code.Popaw, &Popa<Size16>);
        HandlerTable.Register(Code.Popad, &Popa<Size32>);
    }

    // PUSH r: PUSH rSP pushes the value before the decrement (SDM PUSH).
    private static void PushR<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => c.Push(T.Bytes, T.Get(c, u.R0));

    // POP r: RSP is advanced first, then the register written, so POP rSP loads the popped value.
    private static void PopR<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong v = c.Pop(T.Bytes);
        T.Set(c, u.R0, v);
    }

    // PUSH r/m: the operand address uses RSP before the push.
    private static void PushE<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong v = u.R0 != Reg.None ? T.Get(c, u.R0) : T.Read(c, c.OperandAddress(ref u, T.Bytes, false));
        c.Push(T.Bytes, v);
    }

    // POP r/m: "If the ESP register is used as a base register for addressing a destination operand in memory,
    // the POP instruction computes the effective address of the operand after it increments the ESP register"
    // (SDM Vol. 2B POP). RSP is committed only after the store succeeds.
    private static void PopE<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong rsp = c.R[Reg.RSP];
        ulong v = c.PopAt(ref rsp, T.Bytes);
        if (u.R0 != Reg.None)
        {
            c.CommitStackPointer(rsp);
            T.Set(c, u.R0, v);
            return;
        }
        ulong old = c.R[Reg.RSP];
        c.CommitStackPointer(rsp);
        ulong ea = c.EffectiveAddress(ref u);
        c.R[Reg.RSP] = old;
        T.Write(c, c.LinearAddress(u.Seg, ea, T.Bytes, true), v);
        c.CommitStackPointer(rsp);
    }

    private static void PushI<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => c.Push(T.Bytes, u.Imm);

    // PUSH Sreg with a 32- or 64-bit operand: the stack pointer moves by the operand size but recent
    // processors store only the 16-bit selector, leaving the rest of the slot unchanged (SDM Vol. 2B PUSH).
    private static void PushSreg<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong rsp = c.R[Reg.RSP];
        ulong top = (rsp - (ulong)T.Bytes) & c.StackPointerMask;
        ulong la = c.StackAddress(top, T.Bytes, true);
        c.Write16(la, c.Segs[u.R0].Selector);
        c.CommitStackPointer(top);
    }

    // PUSHA/PUSHAD: AX, CX, DX, BX, the original SP, BP, SI, DI; RSP committed after all eight stores.
    private static void Pusha<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong original = c.R[Reg.RSP];
        ulong rsp = original;
        for (int r = 0; r < 8; r++)
            c.PushAt(ref rsp, T.Bytes, r == Reg.RSP ? original : c.R[r]);
        c.CommitStackPointer(rsp);
    }

    // POPA/POPAD: DI, SI, BP, (SP skipped), BX, DX, CX, AX; registers written after all eight loads.
    private static void Popa<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong rsp = c.R[Reg.RSP];
        Span<ulong> v = stackalloc ulong[8];
        for (int r = 7; r >= 0; r--) v[r] = c.PopAt(ref rsp, T.Bytes);
        for (int r = 0; r < 8; r++)
            if (r != Reg.RSP) T.Set(c, r, v[r]);
        c.CommitStackPointer(rsp);
    }
}
