using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// IN, OUT, INS and OUTS with the protected-mode I/O permission checks (SDM Vol. 1 §19.5; Vol. 2 IN, OUT, INS, OUTS).
/// </summary>
internal static unsafe class InputOutput
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.In_AL_imm8, &InImm<Size8>);
        HandlerTable.Register(Code.In_AX_imm8, &InImm<Size16>);
        HandlerTable.Register(Code.In_EAX_imm8, &InImm<Size32>);
        HandlerTable.Register(Code.In_AL_DX, &InDx<Size8>);
        HandlerTable.Register(Code.In_AX_DX, &InDx<Size16>);
        HandlerTable.Register(Code.In_EAX_DX, &InDx<Size32>);
        HandlerTable.Register(Code.Out_imm8_AL, &OutImm<Size8>);
        HandlerTable.Register(Code.Out_imm8_AX, &OutImm<Size16>);
        HandlerTable.Register(Code.Out_imm8_EAX, &OutImm<Size32>);
        HandlerTable.Register(Code.Out_DX_AL, &OutDx<Size8>);
        HandlerTable.Register(Code.Out_DX_AX, &OutDx<Size16>);
        HandlerTable.Register(Code.Out_DX_EAX, &OutDx<Size32>);
        HandlerTable.Register(Code.Insb_m8_DX, &StringOps.Run<Ins, Size8>);
        HandlerTable.Register(Code.Insw_m16_DX, &StringOps.Run<Ins, Size16>);
        HandlerTable.Register(Code.Insd_m32_DX, &StringOps.Run<Ins, Size32>);
        HandlerTable.Register(Code.Outsb_DX_m8, &StringOps.Run<Outs, Size8>);
        HandlerTable.Register(Code.Outsw_DX_m16, &StringOps.Run<Outs, Size16>);
        HandlerTable.Register(Code.Outsd_DX_m32, &StringOps.Run<Outs, Size32>);
    }

    /// <summary>
    /// Raises #GP(0) unless the current privilege may access <paramref name="size"/> bytes at <paramref name="port"/>.
    /// In protected mode (and 64-bit mode) with CPL &gt; IOPL, every bit for the accessed bytes in the TSS I/O
    /// permission bitmap must be clear (SDM Vol. 1 §19.5.2): the bitmap starts at the 16-bit offset stored at
    /// TSS+0x66, two bytes are read (an access may span a byte boundary) and both must lie within the TSS limit.
    /// A 16-bit TSS has no bitmap, so access is denied. Real mode has no check; virtual-8086 mode always
    /// consults the bitmap, whatever IOPL (SDM Vol. 3B §20.2.8.1).
    /// </summary>
    internal static void CheckIoPermission(CpuCore c, ushort port, int size)
    {
        if (!c.ProtectedMode) return;
        int iopl = (int)((c.RflagsBits & Rflags.IOPL) >> 12);
        if (c.Cpl <= iopl && !c.Virtual8086) return;
        ref var tr = ref c.Tr;
        int type = tr.Attributes & 0x1F;
        if ((type != 0x09 && type != 0x0B) || tr.Limit < 0x67) c.RaiseFault(Vector.GP, 0);
        ulong addrMask = c.LongModeActive ? ulong.MaxValue : 0xFFFF_FFFFUL;
        ulong ioBase = c.ReadLinear((tr.Base + 0x66) & addrMask, 2, AccessKind.System);
        ulong offset = ioBase + (ulong)(port >> 3);
        if (offset + 1 > tr.Limit) c.RaiseFault(Vector.GP, 0);
        ulong bits = c.ReadLinear((tr.Base + offset) & addrMask, 2, AccessKind.System);
        ulong mask = ((1UL << size) - 1) << (port & 7);
        if ((bits & mask) != 0) c.RaiseFault(Vector.GP, 0);
    }

    private static void InImm<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => In<T>(c, (ushort)(byte)u.Imm);

    private static void InDx<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => In<T>(c, c.Get16(Reg.RDX));

    private static void In<T>(CpuCore c, ushort port) where T : struct, IOperandSize
    {
        CheckIoPermission(c, port, T.Bytes);
        T.Set(c, Reg.RAX, c.Ports.In(port, T.Bytes));
    }

    private static void OutImm<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => Out<T>(c, (ushort)(byte)u.Imm);

    private static void OutDx<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => Out<T>(c, c.Get16(Reg.RDX));

    private static void Out<T>(CpuCore c, ushort port) where T : struct, IOperandSize
    {
        CheckIoPermission(c, port, T.Bytes);
        c.Ports.Out(port, T.Bytes, (uint)T.Get(c, Reg.RAX));
    }

    // Probes ES:rDI for a write before the port is read, so a #GP/#PF never follows a port read that
    // has side effects (as Bochs does for INS).
    private static ulong InsDestination<T>(CpuCore c, ulong di) where T : struct, IOperandSize
    {
        ulong la = c.LinearAddress(Seg.ES, di, T.Bytes, true);
        c.Translate(la, AccessKind.Write);
        if (((la & 0xFFF) + (ulong)T.Bytes) > 0x1000) c.Translate(la + (ulong)T.Bytes - 1, AccessKind.Write);
        return la;
    }

    // INS: ES:[rDI] ← port DX, rDI ± size; REP repeats rCX times (see StringOps for the restart rules).
    // INS: [ES:rDI] ← port DX; the destination is checked writable before the port is read.
    private struct Ins : StringOps.IStringStep
    {
        public static bool UsesSi => false;
        public static bool UsesDi => true;
        public static bool Compares => false;

        public static void Prepare<T>(CpuCore c) where T : struct, IOperandSize => CheckIoPermission(c, c.Get16(Reg.RDX), T.Bytes);

        public static bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize
        {
            ulong la = InsDestination<T>(c, di);
            T.Write(c, la, c.Ports.In(c.Get16(Reg.RDX), T.Bytes));
            return false;
        }
    }

    // OUTS: port DX ← [seg:rSI].
    private struct Outs : StringOps.IStringStep
    {
        public static bool UsesSi => true;
        public static bool UsesDi => false;
        public static bool Compares => false;

        public static void Prepare<T>(CpuCore c) where T : struct, IOperandSize => CheckIoPermission(c, c.Get16(Reg.RDX), T.Bytes);

        public static bool Element<T>(CpuCore c, int seg, ulong si, ulong di) where T : struct, IOperandSize
        {
            ulong v = T.Read(c, c.LinearAddress(seg, si, T.Bytes, false));
            c.Ports.Out(c.Get16(Reg.RDX), T.Bytes, (uint)v);
            return false;
        }
    }
}
