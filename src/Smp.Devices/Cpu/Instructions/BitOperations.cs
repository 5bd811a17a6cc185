using System.Buffers.Binary;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using static System.Numerics.BitOperations;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>BT, BTS, BTR, BTC: CF = the selected bit, then the bit is kept, set, cleared or complemented.</summary>
internal interface IBitTestOp
{
    /// <summary>False for BT, which only reads.</summary>
    static abstract bool WritesResult { get; }

    /// <summary>The operand after the operation on bit <paramref name="mask"/>.</summary>
    static abstract ulong Apply(ulong a, ulong mask);
}

/// <summary>
/// Bit test and scan: BT/BTS/BTR/BTC (SDM Vol. 2A "BT": with a register bit offset and a memory operand
/// the signed offset addresses bits outside the operand; ZF is unchanged, OF/SF/AF/PF undefined and
/// left unchanged), BSF/BSR (a zero source sets ZF and leaves the whole destination register
/// unchanged, even a 32-bit one — fact sheet G.7, matching the host), POPCNT, LZCNT, TZCNT, BSWAP.
/// </summary>
internal static unsafe class BitOperations
{
    [InstructionFamily]
    internal static void Register()
    {
        RegisterBitTest<BtOp>(Mnemonic.Bt);
        RegisterBitTest<BtsOp>(Mnemonic.Bts);
        RegisterBitTest<BtrOp>(Mnemonic.Btr);
        RegisterBitTest<BtcOp>(Mnemonic.Btc);
        foreach (var code in AluCodes.Of(Mnemonic.Bsf))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 1 => &Bsf<Size16>, 2 => &Bsf<Size32>, _ => &Bsf<Size64> });
        foreach (var code in AluCodes.Of(Mnemonic.Bsr))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 1 => &Bsr<Size16>, 2 => &Bsr<Size32>, _ => &Bsr<Size64> });
        foreach (var code in AluCodes.Of(Mnemonic.Popcnt))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 1 => &Popcnt<Size16>, 2 => &Popcnt<Size32>, _ => &Popcnt<Size64> });
        foreach (var code in AluCodes.Of(Mnemonic.Lzcnt))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 1 => &Lzcnt<Size16>, 2 => &Lzcnt<Size32>, _ => &Lzcnt<Size64> });
        foreach (var code in AluCodes.Of(Mnemonic.Tzcnt))
            HandlerTable.Register(code, AluCodes.SizeIndex(code) switch { 1 => &Tzcnt<Size16>, 2 => &Tzcnt<Size32>, _ => &Tzcnt<Size64> });
        HandlerTable.Register(Code.Bswap_r16, &Bswap16);
        HandlerTable.Register(Code.Bswap_r32, &Bswap32);
        HandlerTable.Register(Code.Bswap_r64, &Bswap64);
    }

    private static void RegisterBitTest<TOp>(Mnemonic m) where TOp : struct, IBitTestOp
    {
        foreach (var code in AluCodes.Of(m))
        {
            int s = AluCodes.SizeIndex(code);
            delegate*<CpuCore, ref Uop, void> h = AluCodes.IsImmediate(code, 1)
                ? s switch { 1 => &BitTestImm<TOp, Size16>, 2 => &BitTestImm<TOp, Size32>, _ => &BitTestImm<TOp, Size64> }
                : s switch { 1 => &BitTestReg<TOp, Size16>, 2 => &BitTestReg<TOp, Size32>, _ => &BitTestReg<TOp, Size64> };
            HandlerTable.Register(code, h);
        }
    }

    // ---- BT, BTS, BTR, BTC ------------------------------------------------------------------------

    private struct BtOp : IBitTestOp
    {
        public static bool WritesResult => false;
        public static ulong Apply(ulong a, ulong mask) => a;
    }

    private struct BtsOp : IBitTestOp
    {
        public static bool WritesResult => true;
        public static ulong Apply(ulong a, ulong mask) => a | mask;
    }

    private struct BtrOp : IBitTestOp
    {
        public static bool WritesResult => true;
        public static ulong Apply(ulong a, ulong mask) => a & ~mask;
    }

    private struct BtcOp : IBitTestOp
    {
        public static bool WritesResult => true;
        public static ulong Apply(ulong a, ulong mask) => a ^ mask;
    }

    /// <summary>Bit offset in an immediate: taken modulo the operand size, register or memory alike.</summary>
    private static void BitTestImm<TOp, TS>(CpuCore c, ref Uop u) where TOp : struct, IBitTestOp where TS : struct, IOperandSize
    {
        int bit = (int)u.Imm & (TS.Bits - 1);
        if (Alu.Op0IsRegister<TS>(ref u)) BitTestRegister<TOp, TS>(c, u.R0, bit);
        else BitTestMemory<TOp, TS>(c, c.OperandAddress(ref u, TS.Bytes, TOp.WritesResult), bit);
    }

    /// <summary>
    /// Bit offset in a register: modulo the operand size for a register operand; for a memory operand
    /// the signed offset selects the operand-sized unit at EA + (offset SAR log2(size)) × size bytes.
    /// </summary>
    private static void BitTestReg<TOp, TS>(CpuCore c, ref Uop u) where TOp : struct, IBitTestOp where TS : struct, IOperandSize
    {
        long offset = Alu.SignExtend<TS>(TS.Get(c, u.R1));
        int bit = (int)offset & (TS.Bits - 1);
        if (Alu.Op0IsRegister<TS>(ref u))
        {
            BitTestRegister<TOp, TS>(c, u.R0, bit);
            return;
        }
        int log2 = TS.Bits == 16 ? 4 : TS.Bits == 32 ? 5 : 6;
        ulong ea = (c.EffectiveAddress(ref u) + (ulong)((offset >> log2) * TS.Bytes)) & u.AddrMask;
        BitTestMemory<TOp, TS>(c, c.LinearAddress(u.Seg, ea, TS.Bytes, TOp.WritesResult), bit);
    }

    private static void BitTestRegister<TOp, TS>(CpuCore c, int reg, int bit) where TOp : struct, IBitTestOp where TS : struct, IOperandSize
    {
        ulong a = TS.Get(c, reg), mask = 1UL << bit;
        if (TOp.WritesResult) TS.Set(c, reg, TOp.Apply(a, mask));
        c.SetStatusFlag(Rflags.CF, (a & mask) != 0);
    }

    private static void BitTestMemory<TOp, TS>(CpuCore c, ulong la, int bit) where TOp : struct, IBitTestOp where TS : struct, IOperandSize
    {
        ulong a = TS.Read(c, la), mask = 1UL << bit;
        if (TOp.WritesResult) TS.Write(c, la, TOp.Apply(a, mask));
        c.SetStatusFlag(Rflags.CF, (a & mask) != 0);
    }

    // ---- scans and counts ---------------------------------------------------------------------------

    private static void Bsf<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        ulong src = Alu.ReadRm1<TS>(c, ref u);
        if (src != 0) TS.Set(c, u.R0, (ulong)TrailingZeroCount(src));
        c.SetStatusFlag(Rflags.ZF, src == 0);
    }

    private static void Bsr<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        ulong src = Alu.ReadRm1<TS>(c, ref u);
        if (src != 0) TS.Set(c, u.R0, (ulong)(63 - LeadingZeroCount(src)));
        c.SetStatusFlag(Rflags.ZF, src == 0);
    }

    /// <summary>POPCNT: ZF = (source = 0), CF, OF, SF, AF, PF cleared (SDM Vol. 2B "POPCNT").</summary>
    private static void Popcnt<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        ulong src = Alu.ReadRm1<TS>(c, ref u);
        TS.Set(c, u.R0, (ulong)PopCount(src));
        Alu.SetStatusFlags(c, Rflags.Arithmetic, Alu.If(src == 0, Rflags.ZF));
    }

    /// <summary>LZCNT: CF = (source = 0), ZF = (result = 0); OF, SF, AF, PF undefined and kept.</summary>
    private static void Lzcnt<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        ulong src = Alu.ReadRm1<TS>(c, ref u);
        int n = LeadingZeroCount(src) - (64 - TS.Bits);
        TS.Set(c, u.R0, (ulong)n);
        Alu.SetStatusFlags(c, Rflags.CF | Rflags.ZF, Alu.If(src == 0, Rflags.CF) | Alu.If(n == 0, Rflags.ZF));
    }

    /// <summary>TZCNT: CF = (source = 0), ZF = (result = 0); OF, SF, AF, PF undefined and kept.</summary>
    private static void Tzcnt<TS>(CpuCore c, ref Uop u) where TS : struct, IOperandSize
    {
        ulong src = Alu.ReadRm1<TS>(c, ref u);
        int n = src == 0 ? TS.Bits : TrailingZeroCount(src);
        TS.Set(c, u.R0, (ulong)n);
        Alu.SetStatusFlags(c, Rflags.CF | Rflags.ZF, Alu.If(src == 0, Rflags.CF) | Alu.If(n == 0, Rflags.ZF));
    }

    // ---- BSWAP --------------------------------------------------------------------------------------

    /// <summary>BSWAP r16 is undefined by the SDM; Intel and AMD processors clear the low 16 bits.</summary>
    private static void Bswap16(CpuCore c, ref Uop u) => c.Set16(u.R0, 0);

    private static void Bswap32(CpuCore c, ref Uop u) => c.Set32(u.R0, BinaryPrimitives.ReverseEndianness(c.Get32(u.R0)));

    private static void Bswap64(CpuCore c, ref Uop u) => c.Set64(u.R0, BinaryPrimitives.ReverseEndianness(c.Get64(u.R0)));
}
