using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>PUSHF/POPF with the privilege rules, ENTER and LEAVE (SDM Vol. 2B POPF, PUSHF; Vol. 2A ENTER, LEAVE).</summary>
internal static unsafe class StackFrame
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Pushfw, &Pushf<Size16>);
        HandlerTable.Register(Code.Pushfd, &Pushf<Size32>);
        HandlerTable.Register(Code.Pushfq, &Pushf<Size64>);
        // POPF can change TF, IF, AC: the block ends so the loop re-examines events.
        HandlerTable.Register(Code.Popfw, &Popf<Size16>, endsBlock: true);
        HandlerTable.Register(Code.Popfd, &Popf<Size32>, endsBlock: true);
        HandlerTable.Register(Code.Popfq, &Popf<Size64>, endsBlock: true);
        HandlerTable.Register(Code.Enterw_imm16_imm8, &Enter<Size16>);
        HandlerTable.Register(Code.Enterd_imm16_imm8, &Enter<Size32>);
        HandlerTable.Register(Code.Enterq_imm16_imm8, &Enter<Size64>);
        HandlerTable.Register(Code.Leavew, &Leave<Size16>);
        HandlerTable.Register(Code.Leaved, &Leave<Size32>);
        HandlerTable.Register(Code.Leaveq, &Leave<Size64>);
    }

    // PUSHF: the image has VM and RF cleared (SDM Vol. 2B PUSHF); in virtual-8086 mode #GP(0) unless IOPL = 3.
    private static void Pushf<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        RequireV86Iopl3(c);
        c.Push(T.Bytes, c.GetRflags() & ~(Rflags.RF | Rflags.VM));
    }

    // The IOPL-sensitive instructions of virtual-8086 mode without VME (SDM Vol. 3B §20.2.7).
    private static void RequireV86Iopl3(CpuCore c)
    {
        if (c.Virtual8086 && (c.RflagsBits & Rflags.IOPL) != Rflags.IOPL) c.RaiseFault(Vector.GP, 0);
    }

    // POPF (SDM Vol. 2B POPF, Operation): real mode or CPL 0 may change every writable flag including IOPL and IF;
    // 0 < CPL <= IOPL may change IF but not IOPL; CPL > IOPL changes neither (no fault). VIP, VIF, VM are never
    // changed; RF is cleared by the 32/64-bit forms; the 16-bit form changes only bits 15:0.
    private static void Popf<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        RequireV86Iopl3(c);
        ulong rsp = c.R[Reg.RSP];
        ulong v = c.PopAt(ref rsp, T.Bytes);
        ulong old = c.GetRflags();
        ulong mask = Rflags.Writable & ~Rflags.RF;
        if (c.ProtectedMode && c.Cpl != 0)
        {
            mask &= ~Rflags.IOPL;
            int iopl = (int)((old & Rflags.IOPL) >> 12);
            if (c.Cpl > iopl) mask &= ~Rflags.IF;
        }
        ulong next;
        if (T.Bytes == 2) { mask &= 0xFFFF; next = (old & ~mask) | (v & mask); }
        else next = ((old & ~mask) | (v & mask)) & ~Rflags.RF;
        c.CommitStackPointer(rsp);
        c.SetRflags(next);
        if ((old & Rflags.VM) != 0) c.RflagsBits |= Rflags.VM;   // POPF never changes VM
    }

    // ENTER imm16, imm8 (SDM Vol. 2A ENTER, Operation): push rBP, copy NestingLevel − 1 frame pointers from the
    // enclosing frame, push the new frame pointer, then rBP ← FrameTemp and rSP ← rSP − AllocSize. The frame
    // pointer walk uses rBP at the stack width; all stores go to a working RSP committed at the end.
    private static void Enter<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong alloc = u.Imm & 0xFFFF;
        int level = (int)(u.Imm2 & 31);
        ulong mask = c.StackPointerMask;
        ulong rsp = c.R[Reg.RSP];
        ulong rbp = c.R[Reg.RBP];
        c.PushAt(ref rsp, T.Bytes, rbp);
        ulong frameTemp = rsp;
        if (level > 0)
        {
            for (int i = 1; i < level; i++)
            {
                rbp = (rbp - (ulong)T.Bytes) & mask;
                ulong v = T.Read(c, c.StackAddress(rbp, T.Bytes, false));
                c.PushAt(ref rsp, T.Bytes, v);
            }
            c.PushAt(ref rsp, T.Bytes, frameTemp);
        }
        ulong final = (rsp - alloc) & mask;
        // The final stack pointer is checked as for a write there (#SS, #PF), though nothing is stored (as Bochs).
        if (alloc != 0) c.Translate(c.StackAddress(final, T.Bytes, true), AccessKind.Write);
        T.Set(c, Reg.RBP, frameTemp);
        c.CommitStackPointer(final);
    }

    // LEAVE: rSP ← rBP (at the stack width), then rBP ← Pop().
    private static void Leave<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong rsp = c.R[Reg.RBP] & c.StackPointerMask;
        ulong v = c.PopAt(ref rsp, T.Bytes);
        c.CommitStackPointer(rsp);
        T.Set(c, Reg.RBP, v);
    }
}
