using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// MUL, IMUL (one, two and three operands), DIV, IDIV (SDM Vol. 2A "DIV", "IDIV", "IMUL", Vol. 2B "MUL").
/// Multiplies set CF = OF = "the upper half is significant" (SF, ZF, AF, PF undefined: we derive SF/ZF/PF
/// from the low half). Divides raise #DE for a zero divisor or a quotient that does not fit, before
/// anything is written; their flags are undefined and left unchanged.
/// </summary>
internal static unsafe class MultiplyDivide
{
    [InstructionFamily]
    internal static void Register()
    {
        foreach (var code in AluCodes.Of(Mnemonic.Mul))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 0 => &Mul8, 1 => &MulWide<Size16>, 2 => &MulWide<Size32>, _ => &Mul64 });
        foreach (var code in AluCodes.Of(Mnemonic.Div))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 0 => &Div8, 1 => &DivWide<Size16>, 2 => &DivWide<Size32>, _ => &Div64 });
        foreach (var code in AluCodes.Of(Mnemonic.Idiv))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 0 => &Idiv8, 1 => &IdivWide<Size16>, 2 => &IdivWide<Size32>, _ => &Idiv64 });
        foreach (var code in AluCodes.Of(Mnemonic.Imul))
        {
            int s = AluCodes.SizeIndex(code);
            int ops = code.ToOpCode().OpCount;
            delegate*<CpuCore, ref Uop, void> h = ops switch
            {
                1 => s switch { 0 => &Imul8, 1 => &ImulWide<Size16>, 2 => &ImulWide<Size32>, _ => &Imul64 },
                2 => s switch { 1 => &ImulGE<Size16>, 2 => &ImulGE<Size32>, _ => &ImulGE<Size64> },
                _ => s switch { 1 => &ImulGEI<Size16>, 2 => &ImulGEI<Size32>, _ => &ImulGEI<Size64> },
            };
            HandlerTable.Register(code, h);
        }
    }

    // ---- MUL ---------------------------------------------------------------------------------

    private static void Mul8(CpuCore c, ref Uop u)
    {
        ulong p = (ulong)c.Get8(Reg.RAX) * Alu.ReadRm0<Size8>(c, ref u);
        c.Set16(Reg.RAX, (ushort)p);
        bool hi = (p >> 8) != 0;
        c.SetFlagsExplicit(0, p, hi, hi);
    }

    private static void MulWide<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        ulong p = TS.Get(c, Reg.RAX) * Alu.ReadRm0<TS>(c, ref u);
        ulong hi = p >> TS.Bits;
        TS.Set(c, Reg.RAX, p);
        TS.Set(c, Reg.RDX, hi);
        c.SetFlagsExplicit(TS.Index, p, hi != 0, hi != 0);
    }

    private static void Mul64(CpuCore c, ref Uop u)
    {
        ulong hi = Math.BigMul(c.Get64(Reg.RAX), Alu.ReadRm0<Size64>(c, ref u), out ulong lo);
        c.Set64(Reg.RAX, lo);
        c.Set64(Reg.RDX, hi);
        c.SetFlagsExplicit(3, lo, hi != 0, hi != 0);
    }

    // ---- IMUL --------------------------------------------------------------------------------

    private static void Imul8(CpuCore c, ref Uop u)
    {
        long p = (sbyte)c.Get8(Reg.RAX) * (long)(sbyte)Alu.ReadRm0<Size8>(c, ref u);
        c.Set16(Reg.RAX, (ushort)p);
        bool ov = p != (sbyte)p;
        c.SetFlagsExplicit(0, (ulong)p, ov, ov);
    }

    private static void ImulWide<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        long p = Alu.SignExtend<TS>(TS.Get(c, Reg.RAX)) * Alu.SignExtend<TS>(Alu.ReadRm0<TS>(c, ref u));
        bool ov = p != Alu.SignExtend<TS>((ulong)p);
        TS.Set(c, Reg.RAX, (ulong)p);
        TS.Set(c, Reg.RDX, (ulong)(p >> TS.Bits));
        c.SetFlagsExplicit(TS.Index, (ulong)p, ov, ov);
    }

    private static void Imul64(CpuCore c, ref Uop u)
    {
        long hi = Math.BigMul((long)c.Get64(Reg.RAX), (long)Alu.ReadRm0<Size64>(c, ref u), out long lo);
        bool ov = hi != lo >> 63;
        c.Set64(Reg.RAX, (ulong)lo);
        c.Set64(Reg.RDX, (ulong)hi);
        c.SetFlagsExplicit(3, (ulong)lo, ov, ov);
    }

    /// <summary>IMUL reg, r/m: reg = reg × r/m, truncated.</summary>
    private static void ImulGE<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize =>
        ImulTruncated<TS>(c, u.R0, TS.Get(c, u.R0), Alu.ReadRm1<TS>(c, ref u));

    /// <summary>IMUL reg, r/m, imm: reg = r/m × imm (the immediate is already sign-extended).</summary>
    private static void ImulGEI<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize =>
        ImulTruncated<TS>(c, u.R0, Alu.ReadRm1<TS>(c, ref u), u.Imm);

    private static void ImulTruncated<TS>(CpuCore c, int dst, ulong a, ulong b) where TS : struct, IOperandSize
    {
        ulong r;
        bool ov;
        if (TS.Bits == 64)
        {
            long hi = Math.BigMul((long)a, (long)b, out long lo);
            r = (ulong)lo;
            ov = hi != lo >> 63;
        }
        else
        {
            long p = Alu.SignExtend<TS>(a) * Alu.SignExtend<TS>(b);
            r = (ulong)p;
            ov = p != Alu.SignExtend<TS>(r);
        }
        TS.Set(c, dst, r);
        c.SetFlagsExplicit(TS.Index, r, ov, ov);
    }

    // ---- DIV ---------------------------------------------------------------------------------

    private static void Div8(CpuCore c, ref Uop u)
    {
        uint d = (uint)Alu.ReadRm0<Size8>(c, ref u);
        uint x = c.Get16(Reg.RAX);
        if (d == 0) c.RaiseFault(Vector.DE);
        uint q = x / d;
        if (q > 0xFF) c.RaiseFault(Vector.DE);
        c.Set16(Reg.RAX, (ushort)(((x % d) << 8) | q));
    }

    private static void DivWide<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        ulong d = Alu.ReadRm0<TS>(c, ref u);
        ulong x = (TS.Get(c, Reg.RDX) << TS.Bits) | TS.Get(c, Reg.RAX);
        if (d == 0) c.RaiseFault(Vector.DE);
        ulong q = x / d;
        if (q > TS.Mask) c.RaiseFault(Vector.DE);
        TS.Set(c, Reg.RAX, q);
        TS.Set(c, Reg.RDX, x % d);
    }

    private static void Div64(CpuCore c, ref Uop u)
    {
        ulong d = Alu.ReadRm0<Size64>(c, ref u);
        ulong hi = c.Get64(Reg.RDX), lo = c.Get64(Reg.RAX);
        // A quotient fits in 64 bits exactly when the high half of the dividend is below the divisor.
        if (hi >= d) c.RaiseFault(Vector.DE);
        ulong q, rem;
        if (hi == 0) { q = lo / d; rem = lo % d; }
        else
        {
            UInt128 x = ((UInt128)hi << 64) | lo;
            q = (ulong)(x / d);
            rem = (ulong)(x % d);
        }
        c.Set64(Reg.RAX, q);
        c.Set64(Reg.RDX, rem);
    }

    // ---- IDIV --------------------------------------------------------------------------------

    private static void Idiv8(CpuCore c, ref Uop u)
    {
        int d = (sbyte)Alu.ReadRm0<Size8>(c, ref u);
        int x = (short)c.Get16(Reg.RAX);
        if (d == 0) c.RaiseFault(Vector.DE);
        int q = x / d;
        if (q != (sbyte)q) c.RaiseFault(Vector.DE);
        c.Set16(Reg.RAX, (ushort)(((x % d) << 8) | (q & 0xFF)));
    }

    private static void IdivWide<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        long d = Alu.SignExtend<TS>(Alu.ReadRm0<TS>(c, ref u));
        // EDX:EAX (or DX:AX) as a signed 64-bit (32-bit) dividend.
        long x = (long)((TS.Get(c, Reg.RDX) << TS.Bits) | TS.Get(c, Reg.RAX));
        if (TS.Bits == 16) x = (int)x;
        if (d == 0) c.RaiseFault(Vector.DE);
        // long.MinValue / −1 overflows the host division; its quotient never fits anyway.
        if (d == -1 && x == long.MinValue) c.RaiseFault(Vector.DE);
        long q = x / d;
        if (q != Alu.SignExtend<TS>((ulong)q)) c.RaiseFault(Vector.DE);
        TS.Set(c, Reg.RAX, (ulong)q);
        TS.Set(c, Reg.RDX, (ulong)(x % d));
    }

    private static void Idiv64(CpuCore c, ref Uop u)
    {
        long d = (long)Alu.ReadRm0<Size64>(c, ref u);
        ulong hi = c.Get64(Reg.RDX), lo = c.Get64(Reg.RAX);
        if (d == 0) c.RaiseFault(Vector.DE);
        long q, rem;
        if (hi == (ulong)((long)lo >> 63))
        {
            // The dividend fits in 64 bits: the common case, without 128-bit arithmetic.
            if (d == -1 && (long)lo == long.MinValue) c.RaiseFault(Vector.DE);
            q = (long)lo / d;
            rem = (long)lo % d;
        }
        else
        {
            Int128 x = (Int128)(((UInt128)hi << 64) | lo);
            // Int128.MinValue / −1 would overflow the host division; negation wraps and then fails the range check.
            Int128 q128 = d == -1 ? -x : x / d;
            if (q128 > long.MaxValue || q128 < long.MinValue) c.RaiseFault(Vector.DE);
            q = (long)q128;
            rem = d == -1 ? 0 : (long)(x % d);
        }
        c.Set64(Reg.RAX, (ulong)q);
        c.Set64(Reg.RDX, (ulong)rem);
    }
}
