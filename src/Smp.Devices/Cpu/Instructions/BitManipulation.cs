using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using static System.Numerics.BitOperations;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// The VEX-encoded general-purpose bit-manipulation sets (SDM Vol. 2A–2B): BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR;
/// TZCNT is in <see cref="BitOperations"/>) and BMI2 (BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX), 32- and
/// 64-bit. They need neither CR4.OSXSAVE nor XCR0; like every VEX instruction they are #UD in real and
/// virtual-8086 mode, where C4/C5 are LES/LDS. Flags the SDM leaves undefined (AF, PF, and SF for BEXTR) are kept.
/// </summary>
internal static unsafe class BitManipulation
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.VEX_Andn_r32_r32_rm32, &Andn<Size32>);
        HandlerTable.Register(Code.VEX_Andn_r64_r64_rm64, &Andn<Size64>);
        HandlerTable.Register(Code.VEX_Bextr_r32_rm32_r32, &Bextr<Size32>);
        HandlerTable.Register(Code.VEX_Bextr_r64_rm64_r64, &Bextr<Size64>);
        HandlerTable.Register(Code.VEX_Blsi_r32_rm32, &Blsi<Size32>);
        HandlerTable.Register(Code.VEX_Blsi_r64_rm64, &Blsi<Size64>);
        HandlerTable.Register(Code.VEX_Blsmsk_r32_rm32, &Blsmsk<Size32>);
        HandlerTable.Register(Code.VEX_Blsmsk_r64_rm64, &Blsmsk<Size64>);
        HandlerTable.Register(Code.VEX_Blsr_r32_rm32, &Blsr<Size32>);
        HandlerTable.Register(Code.VEX_Blsr_r64_rm64, &Blsr<Size64>);
        HandlerTable.Register(Code.VEX_Bzhi_r32_rm32_r32, &Bzhi<Size32>);
        HandlerTable.Register(Code.VEX_Bzhi_r64_rm64_r64, &Bzhi<Size64>);
        HandlerTable.Register(Code.VEX_Mulx_r32_r32_rm32, &Mulx<Size32>);
        HandlerTable.Register(Code.VEX_Mulx_r64_r64_rm64, &Mulx<Size64>);
        HandlerTable.Register(Code.VEX_Pdep_r32_r32_rm32, &Pdep<Size32>);
        HandlerTable.Register(Code.VEX_Pdep_r64_r64_rm64, &Pdep<Size64>);
        HandlerTable.Register(Code.VEX_Pext_r32_r32_rm32, &Pext<Size32>);
        HandlerTable.Register(Code.VEX_Pext_r64_r64_rm64, &Pext<Size64>);
        HandlerTable.Register(Code.VEX_Rorx_r32_rm32_imm8, &Rorx<Size32>);
        HandlerTable.Register(Code.VEX_Rorx_r64_rm64_imm8, &Rorx<Size64>);
        HandlerTable.Register(Code.VEX_Sarx_r32_rm32_r32, &Shift<Size32, Sar>);
        HandlerTable.Register(Code.VEX_Sarx_r64_rm64_r64, &Shift<Size64, Sar>);
        HandlerTable.Register(Code.VEX_Shlx_r32_rm32_r32, &Shift<Size32, Shl>);
        HandlerTable.Register(Code.VEX_Shlx_r64_rm64_r64, &Shift<Size64, Shl>);
        HandlerTable.Register(Code.VEX_Shrx_r32_rm32_r32, &Shift<Size32, Shr>);
        HandlerTable.Register(Code.VEX_Shrx_r64_rm64_r64, &Shift<Size64, Shr>);
    }

    // The r/m operand is operand 1 (BEXTR, BLSx, BZHI, RORX, SxRX) or operand 2 (ANDN, MULX, PDEP, PEXT).
    private static ulong Source1<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        if (!c.ProtectedMode || c.Virtual8086) c.RaiseFault(Vector.UD);
        return Alu.ReadRm1<T>(c, ref u);
    }

    private static ulong Source2<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        if (!c.ProtectedMode || c.Virtual8086) c.RaiseFault(Vector.UD);
        return u.R2 != Reg.None ? T.Get(c, u.R2) : T.Read(c, c.OperandAddress(ref u, T.Bytes, false));
    }

    private static ulong ZeroSign<T>(ulong result) where T : struct, IOperandSize =>
        Alu.If((result & T.Mask) == 0, Rflags.ZF) | Alu.If(Alu.Msb<T>(result), Rflags.SF);

    // ANDN: dest = ~src1 & src2; SF, ZF by the result; CF = OF = 0.
    private static void Andn<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong r = ~T.Get(c, u.R1) & Source2<T>(c, ref u) & T.Mask;
        T.Set(c, u.R0, r);
        Alu.SetStatusFlags(c, Rflags.ZF | Rflags.SF | Rflags.CF | Rflags.OF, ZeroSign<T>(r));
    }

    // BEXTR: start = src2[7:0], length = src2[15:8]; bits past the operand read as zero. ZF by the result; CF = OF = 0.
    private static void Bextr<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = Source1<T>(c, ref u);
        ulong control = T.Get(c, u.R2);
        int start = (int)(control & 0xFF), length = (int)((control >> 8) & 0xFF);
        ulong r = start >= T.Bits ? 0 : src >> start;
        if (length < 64) r &= (1UL << length) - 1;
        r &= T.Mask;
        T.Set(c, u.R0, r);
        Alu.SetStatusFlags(c, Rflags.ZF | Rflags.CF | Rflags.OF, Alu.If(r == 0, Rflags.ZF));
    }

    // BLSI: dest = -src & src (lowest set bit); ZF, SF by the result; CF = (src != 0); OF = 0.
    private static void Blsi<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = Source1<T>(c, ref u);
        ulong r = (0 - src) & src & T.Mask;
        T.Set(c, u.R0, r);
        Alu.SetStatusFlags(c, Rflags.ZF | Rflags.SF | Rflags.CF | Rflags.OF, ZeroSign<T>(r) | Alu.If(src != 0, Rflags.CF));
    }

    // BLSMSK: dest = (src − 1) ^ src (mask up to the lowest set bit); SF by the result; CF = (src = 0); ZF = OF = 0.
    private static void Blsmsk<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = Source1<T>(c, ref u);
        ulong r = ((src - 1) ^ src) & T.Mask;
        T.Set(c, u.R0, r);
        Alu.SetStatusFlags(c, Rflags.ZF | Rflags.SF | Rflags.CF | Rflags.OF, Alu.If(Alu.Msb<T>(r), Rflags.SF) | Alu.If(src == 0, Rflags.CF));
    }

    // BLSR: dest = (src − 1) & src (lowest set bit cleared); ZF, SF by the result; CF = (src = 0); OF = 0.
    private static void Blsr<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = Source1<T>(c, ref u);
        ulong r = (src - 1) & src & T.Mask;
        T.Set(c, u.R0, r);
        Alu.SetStatusFlags(c, Rflags.ZF | Rflags.SF | Rflags.CF | Rflags.OF, ZeroSign<T>(r) | Alu.If(src == 0, Rflags.CF));
    }

    // BZHI: index n = src2[7:0]; bits n and up cleared when n < the operand size; CF = (n > size − 1); ZF, SF; OF = 0.
    private static void Bzhi<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = Source1<T>(c, ref u);
        int n = (int)(T.Get(c, u.R2) & 0xFF);
        ulong r = n < T.Bits ? src & ((1UL << n) - 1) : src;
        T.Set(c, u.R0, r);
        Alu.SetStatusFlags(c, Rflags.ZF | Rflags.SF | Rflags.CF | Rflags.OF, ZeroSign<T>(r) | Alu.If(n > T.Bits - 1, Rflags.CF));
    }

    // MULX: unsigned EDX/RDX × src; the low half to operand 2 (VEX.vvvv), then the high half to operand 1, so
    // when both name one register it holds the high half. No flags change.
    private static void Mulx<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = Source2<T>(c, ref u);
        ulong hi, lo;
        if (T.Bits == 64) hi = Math.BigMul(c.Get64(Reg.RDX), src, out lo);
        else
        {
            ulong p = (ulong)c.Get32(Reg.RDX) * (uint)src;
            hi = p >> 32;
            lo = (uint)p;
        }
        T.Set(c, u.R1, lo);
        T.Set(c, u.R0, hi);
    }

    // PDEP: scatter the low bits of src1 to the positions of the set bits of the mask (src2). No flags change.
    private static void Pdep<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong mask = Source2<T>(c, ref u), src = T.Get(c, u.R1), r = 0;
        for (ulong bit = 1; mask != 0; bit <<= 1)
        {
            ulong lowest = mask & (0 - mask);
            if ((src & bit) != 0) r |= lowest;
            mask &= mask - 1;
        }
        T.Set(c, u.R0, r);
    }

    // PEXT: gather the bits of src1 at the set bits of the mask (src2) into the low bits. No flags change.
    private static void Pext<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong mask = Source2<T>(c, ref u), src = T.Get(c, u.R1), r = 0;
        for (ulong bit = 1; mask != 0; bit <<= 1)
        {
            ulong lowest = mask & (0 - mask);
            if ((src & lowest) != 0) r |= bit;
            mask &= mask - 1;
        }
        T.Set(c, u.R0, r);
    }

    // RORX: rotate right by imm8 modulo the operand size. No flags change.
    private static void Rorx<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = Source1<T>(c, ref u);
        int n = (int)(u.Imm & (ulong)(T.Bits - 1));
        ulong r = T.Bits == 64 ? RotateRight(src, n) : RotateRight((uint)src, n);
        T.Set(c, u.R0, r);
    }

    // SARX/SHLX/SHRX: shift by src2 modulo the operand size. No flags change.
    private static void Shift<T, TOp>(CpuCore c, ref Uop u) where T : struct, IOperandSize where TOp : struct, IShift
    {
        ulong src = Source1<T>(c, ref u);
        int n = (int)(T.Get(c, u.R2) & (ulong)(T.Bits - 1));
        T.Set(c, u.R0, TOp.Apply<T>(src, n));
    }

    private interface IShift
    {
        static abstract ulong Apply<T>(ulong value, int count) where T : struct, IOperandSize;
    }

    private struct Sar : IShift
    {
        public static ulong Apply<T>(ulong value, int count) where T : struct, IOperandSize => (ulong)(Alu.SignExtend<T>(value) >> count);
    }

    private struct Shl : IShift
    {
        public static ulong Apply<T>(ulong value, int count) where T : struct, IOperandSize => value << count;
    }

    private struct Shr : IShift
    {
        public static ulong Apply<T>(ulong value, int count) where T : struct, IOperandSize => value >> count;
    }
}
