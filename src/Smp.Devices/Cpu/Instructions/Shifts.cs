using System.Runtime.CompilerServices;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>Where a shift or rotate takes its count from: an immediate (including the "by 1" forms) or CL.</summary>
internal interface IShiftCount
{
    /// <summary>The raw count, before masking.</summary>
    static abstract int Get(CpuCore c, ref Uop u);
}

/// <summary>Count in the immediate (Iced gives the D0/D1 "by 1" forms an immediate of 1).</summary>
internal struct CountImm : IShiftCount
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Get(CpuCore c, ref Uop u) => (int)(u.Imm & 0xFF);
}

/// <summary>Count in CL.</summary>
internal struct CountCl : IShiftCount
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Get(CpuCore c, ref Uop u) => c.Get8(Reg.RCX);
}

/// <summary>A shift or rotate of an operand by a nonzero masked count.</summary>
internal interface IShiftOp
{
    /// <summary>True for ROL/ROR/RCL/RCR, which write only CF and OF; shifts also set SF, ZF, PF.</summary>
    static abstract bool IsRotate { get; }

    /// <summary>The result with the new CF and OF (OF as for a count of 1; the SDM leaves it undefined otherwise).</summary>
    static abstract ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize;
}

/// <summary>
/// SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR (SDM Vol. 2B "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR"): the count
/// is masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes no flag and no memory,
/// but a 32-bit register destination is still written and so zero-extended. RCL/RCR of 8/16-bit
/// operands rotate through CF modulo 9/17.
/// </summary>
internal static unsafe class Shifts
{
    [InstructionFamily]
    internal static void Register()
    {
        RegisterOp<ShlOp>(Mnemonic.Shl);
        RegisterOp<ShlOp>(Mnemonic.Sal);
        RegisterOp<ShrOp>(Mnemonic.Shr);
        RegisterOp<SarOp>(Mnemonic.Sar);
        RegisterOp<RolOp>(Mnemonic.Rol);
        RegisterOp<RorOp>(Mnemonic.Ror);
        RegisterOp<RclOp>(Mnemonic.Rcl);
        RegisterOp<RcrOp>(Mnemonic.Rcr);
    }

    private static void RegisterOp<TOp>(Mnemonic m) where TOp : struct, IShiftOp
    {
        foreach (var code in AluCodes.Of(m))
        {
            int s = AluCodes.SizeIndex(code);
            delegate*<CpuCore, ref Uop, void> h = AluCodes.IsCl(code, 1)
                ? s switch { 0 => &Shift<TOp, Size8, CountCl>, 1 => &Shift<TOp, Size16, CountCl>, 2 => &Shift<TOp, Size32, CountCl>, _ => &Shift<TOp, Size64, CountCl> }
                : s switch { 0 => &Shift<TOp, Size8, CountImm>, 1 => &Shift<TOp, Size16, CountImm>, 2 => &Shift<TOp, Size32, CountImm>, _ => &Shift<TOp, Size64, CountImm> };
            HandlerTable.Register(code, h);
        }
    }

    private static void Shift<TOp, TS, TC>(CpuCore c, ref Uop u)
        where TOp : struct, IShiftOp where TS : struct, IOperandSize where TC : struct, IShiftCount
    {
        int count = TC.Get(c, ref u) & (TS.Bits == 64 ? 63 : 31);
        bool cf, of;
        ulong r;
        if (Alu.Op0IsRegister<TS>(ref u))
        {
            ulong a = TS.Get(c, u.R0);
            if (count == 0)
            {
                if (TS.Bits == 32) c.Set32(u.R0, (uint)a);
                return;
            }
            r = TOp.Compute<TS>(c, a, count, out cf, out of);
            TS.Set(c, u.R0, r);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, TS.Bytes, true);
            ulong a = TS.Read(c, la);
            if (count == 0) return;
            r = TOp.Compute<TS>(c, a, count, out cf, out of);
            TS.Write(c, la, r);
        }
        if (TOp.IsRotate) SetCfOf(c, cf, of);
        else c.SetFlagsExplicit(TS.Index, r, cf, of);
    }

    /// <summary>Writes CF and OF, leaving SF, ZF, AF, PF as they were (rotates, SDM Vol. 2B "RCL/RCR/ROL/ROR" Flags Affected).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SetCfOf(CpuCore c, bool cf, bool of) =>
        Alu.SetStatusFlags(c, Rflags.CF | Rflags.OF, Alu.If(cf, Rflags.CF) | Alu.If(of, Rflags.OF));

    private struct ShlOp : IShiftOp
    {
        public static bool IsRotate => false;
        public static ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize
        {
            // count ≤ 31 for 8/16/32-bit operands and ≤ 63 for 64-bit, so the host shifts are exact.
            ulong r = (a << count) & TS.Mask;
            cf = count <= TS.Bits && ((a >> (TS.Bits - count)) & 1) != 0;
            of = Alu.Msb<TS>(r) ^ cf;
            return r;
        }
    }

    private struct ShrOp : IShiftOp
    {
        public static bool IsRotate => false;
        public static ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize
        {
            cf = ((a >> (count - 1)) & 1) != 0;
            of = Alu.Msb<TS>(a);
            return a >> count;
        }
    }

    private struct SarOp : IShiftOp
    {
        public static bool IsRotate => false;
        public static ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize
        {
            long s = Alu.SignExtend<TS>(a);
            cf = ((s >> (count - 1)) & 1) != 0;
            of = false;
            return (ulong)(s >> count) & TS.Mask;
        }
    }

    private struct RolOp : IShiftOp
    {
        public static bool IsRotate => true;
        public static ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize
        {
            int k = count & (TS.Bits - 1);
            ulong r = k == 0 ? a : ((a << k) | (a >> (TS.Bits - k))) & TS.Mask;
            cf = (r & 1) != 0;
            of = Alu.Msb<TS>(r) ^ cf;
            return r;
        }
    }

    private struct RorOp : IShiftOp
    {
        public static bool IsRotate => true;
        public static ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize
        {
            int k = count & (TS.Bits - 1);
            ulong r = k == 0 ? a : ((a >> k) | (a << (TS.Bits - k))) & TS.Mask;
            cf = Alu.Msb<TS>(r);
            of = cf ^ (((r >> (TS.Bits - 2)) & 1) != 0);
            return r;
        }
    }

    // RCL/RCR rotate the (n+1)-bit value CF:operand; UInt128 holds it for n = 64.
    private struct RclOp : IShiftOp
    {
        public static bool IsRotate => true;
        public static ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize
        {
            bool cin = c.GetCF();
            int k = TS.Bits < 32 ? count % (TS.Bits + 1) : count;
            ulong r = a;
            cf = cin;
            if (k != 0)
            {
                UInt128 x = (UInt128)a | ((UInt128)(cin ? 1UL : 0) << TS.Bits);
                UInt128 mask = (UInt128.One << (TS.Bits + 1)) - 1;
                UInt128 y = ((x << k) | (x >> (TS.Bits + 1 - k))) & mask;
                r = (ulong)y & TS.Mask;
                cf = (ulong)(y >> TS.Bits) != 0;
            }
            of = Alu.Msb<TS>(r) ^ cf;
            return r;
        }
    }

    private struct RcrOp : IShiftOp
    {
        public static bool IsRotate => true;
        public static ulong Compute<TS>(CpuCore c, ulong a, int count, out bool cf, out bool of) where TS : struct, IOperandSize
        {
            bool cin = c.GetCF();
            int k = TS.Bits < 32 ? count % (TS.Bits + 1) : count;
            ulong r = a;
            cf = cin;
            // SDM: for a count of 1, OF = MSB(DEST) XOR CF before the rotation.
            of = Alu.Msb<TS>(a) ^ cin;
            if (k != 0)
            {
                UInt128 x = (UInt128)a | ((UInt128)(cin ? 1UL : 0) << TS.Bits);
                UInt128 mask = (UInt128.One << (TS.Bits + 1)) - 1;
                UInt128 y = ((x >> k) | (x << (TS.Bits + 1 - k))) & mask;
                r = (ulong)y & TS.Mask;
                cf = (ulong)(y >> TS.Bits) != 0;
            }
            return r;
        }
    }
}
