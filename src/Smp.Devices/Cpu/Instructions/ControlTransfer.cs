using System.Runtime.CompilerServices;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Near control transfers: JMP, Jcc, JCXZ/JECXZ/JRCXZ, LOOP/LOOPE/LOOPNE, CALL and RET (SDM Vol. 1 §6.3, §7.3.8).
/// The operand size of the Iced code sets the IP width (a 16-bit IP wraps); the target is checked
/// against the CS limit outside 64-bit mode and for canonical form in 64-bit mode, raising #GP(0) at the branch.
/// </summary>
internal static unsafe class ControlTransfer
{
    [InstructionFamily]
    internal static void Register()
    {
        // Iced orders each condition's codes as _16, _32, _64 (Jo_rel8_16, Jo_rel8_32, Jo_rel8_64, Jno_rel8_16, ...).
        for (int cc = 0; cc < 16; cc++)
        {
            HandlerTable.Register(Code.Jo_rel8_16 + cc * 3, &JccShort<Size16>);
            HandlerTable.Register(Code.Jo_rel8_32 + cc * 3, &JccShort<Size32>);
            HandlerTable.Register(Code.Jo_rel8_64 + cc * 3, &JccShort<Size64>);
            HandlerTable.Register(Code.Jo_rel16 + cc * 3, &JccNear<Size16>);
            HandlerTable.Register(Code.Jo_rel32_32 + cc * 3, &JccNear<Size32>);
            HandlerTable.Register(Code.Jo_rel32_64 + cc * 3, &JccNear<Size64>);
        }
        HandlerTable.Register(&Jmp<Size16>, false, Code.Jmp_rel8_16, Code.Jmp_rel16);
        HandlerTable.Register(&Jmp<Size32>, false, Code.Jmp_rel8_32, Code.Jmp_rel32_32);
        HandlerTable.Register(&Jmp<Size64>, false, Code.Jmp_rel8_64, Code.Jmp_rel32_64);
        HandlerTable.Register(Code.Jmp_rm16, &JmpE<Size16>);
        HandlerTable.Register(Code.Jmp_rm32, &JmpE<Size32>);
        HandlerTable.Register(Code.Jmp_rm64, &JmpE<Size64>);

        HandlerTable.Register(Code.Call_rel16, &Call<Size16>);
        HandlerTable.Register(Code.Call_rel32_32, &Call<Size32>);
        HandlerTable.Register(Code.Call_rel32_64, &Call<Size64>);
        HandlerTable.Register(Code.Call_rm16, &CallE<Size16>);
        HandlerTable.Register(Code.Call_rm32, &CallE<Size32>);
        HandlerTable.Register(Code.Call_rm64, &CallE<Size64>);
        HandlerTable.Register(&Ret<Size16>, false, Code.Retnw, Code.Retnw_imm16);
        HandlerTable.Register(&Ret<Size32>, false, Code.Retnd, Code.Retnd_imm16);
        HandlerTable.Register(&Ret<Size64>, false, Code.Retnq, Code.Retnq_imm16);

        // LOOPcc and JrCXZ: operand size (IP width) first, then the count register (address size).
        HandlerTable.Register(Code.Loop_rel8_16_CX, &Loop<Size16, Size16>);
        HandlerTable.Register(Code.Loop_rel8_32_CX, &Loop<Size32, Size16>);
        HandlerTable.Register(Code.Loop_rel8_16_ECX, &Loop<Size16, Size32>);
        HandlerTable.Register(Code.Loop_rel8_32_ECX, &Loop<Size32, Size32>);
        HandlerTable.Register(Code.Loop_rel8_64_ECX, &Loop<Size64, Size32>);
        HandlerTable.Register(Code.Loop_rel8_16_RCX, &Loop<Size16, Size64>);
        HandlerTable.Register(Code.Loop_rel8_64_RCX, &Loop<Size64, Size64>);
        HandlerTable.Register(Code.Loope_rel8_16_CX, &Loope<Size16, Size16>);
        HandlerTable.Register(Code.Loope_rel8_32_CX, &Loope<Size32, Size16>);
        HandlerTable.Register(Code.Loope_rel8_16_ECX, &Loope<Size16, Size32>);
        HandlerTable.Register(Code.Loope_rel8_32_ECX, &Loope<Size32, Size32>);
        HandlerTable.Register(Code.Loope_rel8_64_ECX, &Loope<Size64, Size32>);
        HandlerTable.Register(Code.Loope_rel8_16_RCX, &Loope<Size16, Size64>);
        HandlerTable.Register(Code.Loope_rel8_64_RCX, &Loope<Size64, Size64>);
        HandlerTable.Register(Code.Loopne_rel8_16_CX, &Loopne<Size16, Size16>);
        HandlerTable.Register(Code.Loopne_rel8_32_CX, &Loopne<Size32, Size16>);
        HandlerTable.Register(Code.Loopne_rel8_16_ECX, &Loopne<Size16, Size32>);
        HandlerTable.Register(Code.Loopne_rel8_32_ECX, &Loopne<Size32, Size32>);
        HandlerTable.Register(Code.Loopne_rel8_64_ECX, &Loopne<Size64, Size32>);
        HandlerTable.Register(Code.Loopne_rel8_16_RCX, &Loopne<Size16, Size64>);
        HandlerTable.Register(Code.Loopne_rel8_64_RCX, &Loopne<Size64, Size64>);
        HandlerTable.Register(Code.Jcxz_rel8_16, &Jrcxz<Size16, Size16>);
        HandlerTable.Register(Code.Jcxz_rel8_32, &Jrcxz<Size32, Size16>);
        HandlerTable.Register(Code.Jecxz_rel8_16, &Jrcxz<Size16, Size32>);
        HandlerTable.Register(Code.Jecxz_rel8_32, &Jrcxz<Size32, Size32>);
        HandlerTable.Register(Code.Jecxz_rel8_64, &Jrcxz<Size64, Size32>);
        HandlerTable.Register(Code.Jrcxz_rel8_16, &Jrcxz<Size16, Size64>);
        HandlerTable.Register(Code.Jrcxz_rel8_64, &Jrcxz<Size64, Size64>);
    }

    /// <summary>
    /// Validates a near branch target at operand width <typeparamref name="T"/> and returns it truncated:
    /// outside 64-bit mode a target beyond the CS limit is #GP(0) (SDM Vol. 2A JMP/Jcc/CALL/RET); in 64-bit mode a
    /// non-canonical target is #GP(0) raised with RIP still at the branch (fact sheet G.5, as Bochs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong CheckTarget<T>(CpuCore c, ulong target) where T : struct, IOperandSize
    {
        target &= T.Mask;
        if (c.Is64)
        {
            if (T.Bytes == 8 && (ulong)(((long)target << 16) >> 16) != target) c.RaiseFault(Vector.GP, 0);
        }
        else if (target > c.Segs[Seg.CS].Limit) c.RaiseFault(Vector.GP, 0);
        return target;
    }

    private static void JccShort<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        int cc = ((int)u.Instr.Code - (int)Code.Jo_rel8_16) / 3;
        if (c.Condition(cc)) c.NextRip = CheckTarget<T>(c, c.NextRip + u.Imm);
    }

    private static void JccNear<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        int cc = ((int)u.Instr.Code - (int)Code.Jo_rel16) / 3;
        if (c.Condition(cc)) c.NextRip = CheckTarget<T>(c, c.NextRip + u.Imm);
    }

    private static void Jmp<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => c.NextRip = CheckTarget<T>(c, c.NextRip + u.Imm);

    private static void JmpE<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong target = u.R0 != Reg.None ? T.Get(c, u.R0) : T.Read(c, c.OperandAddress(ref u, T.Bytes, false));
        c.NextRip = CheckTarget<T>(c, target);
    }

    // CALL: the target is checked before the return address is pushed (SDM CALL, near: limit check, then push).
    private static void Call<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong target = CheckTarget<T>(c, c.NextRip + u.Imm);
        c.Push(T.Bytes, c.NextRip & T.Mask);
        c.NextRip = target;
    }

    // CALL r/m: the operand (which may be addressed through RSP) is read before the push.
    private static void CallE<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong target = u.R0 != Reg.None ? T.Get(c, u.R0) : T.Read(c, c.OperandAddress(ref u, T.Bytes, false));
        target = CheckTarget<T>(c, target);
        c.Push(T.Bytes, c.NextRip & T.Mask);
        c.NextRip = target;
    }

    // RET / RET imm16: pop the target, check it, then release imm16 more bytes of stack.
    private static void Ret<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong rsp = c.R[Reg.RSP];
        ulong target = CheckTarget<T>(c, c.PopAt(ref rsp, T.Bytes));
        c.CommitStackPointer(rsp + (u.Imm & 0xFFFF));
        c.NextRip = target;
    }

    // LOOP: decrement the count register (flags unchanged) and branch while it is non-zero. The count
    // is written only after the target check, so a #GP leaves it as it was.
    private static void Loop<T, A>(CpuCore c, ref Uop u) where T : struct, IOperandSize where A : struct, IOperandSize
    {
        ulong count = (A.Get(c, Reg.RCX) - 1) & A.Mask;
        if (count != 0) c.NextRip = CheckTarget<T>(c, c.NextRip + u.Imm);
        A.Set(c, Reg.RCX, count);
    }

    private static void Loope<T, A>(CpuCore c, ref Uop u) where T : struct, IOperandSize where A : struct, IOperandSize
    {
        ulong count = (A.Get(c, Reg.RCX) - 1) & A.Mask;
        if (count != 0 && c.GetZF()) c.NextRip = CheckTarget<T>(c, c.NextRip + u.Imm);
        A.Set(c, Reg.RCX, count);
    }

    private static void Loopne<T, A>(CpuCore c, ref Uop u) where T : struct, IOperandSize where A : struct, IOperandSize
    {
        ulong count = (A.Get(c, Reg.RCX) - 1) & A.Mask;
        if (count != 0 && !c.GetZF()) c.NextRip = CheckTarget<T>(c, c.NextRip + u.Imm);
        A.Set(c, Reg.RCX, count);
    }

    private static void Jrcxz<T, A>(CpuCore c, ref Uop u) where T : struct, IOperandSize where A : struct, IOperandSize
    {
        if (A.Get(c, Reg.RCX) == 0) c.NextRip = CheckTarget<T>(c, c.NextRip + u.Imm);
    }
}
