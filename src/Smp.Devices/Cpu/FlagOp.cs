namespace Smp.Devices.Cpu;

/// <summary>
/// What the last flag-setting instruction was, for lazy evaluation of the status flags
/// (QEMU's CC_OP idea): the low two bits are the operand size (0 = 8, 1 = 16, 2 = 32, 3 = 64 bits).
/// ZF, SF and PF always derive from the result; CF, OF and AF from the kind.
/// </summary>
public enum FlagOp : byte
{
    /// <summary>The status flags are materialised in <see cref="CpuCore.RflagsBits"/>.</summary>
    None = 0,

    /// <summary>8-bit ADD/ADC: Src1 and Src2 are the operands (Src2 without the carry).</summary>
    Add8 = 4,

    /// <summary>16-bit ADD/ADC: Src1 and Src2 are the operands (Src2 without the carry).</summary>
    Add16 = 5,

    /// <summary>32-bit ADD/ADC: Src1 and Src2 are the operands (Src2 without the carry).</summary>
    Add32 = 6,

    /// <summary>64-bit ADD/ADC: Src1 and Src2 are the operands (Src2 without the carry).</summary>
    Add64 = 7,

    /// <summary>8-bit SUB/SBB/CMP/NEG: Src1 minus Src2 (minus the borrow).</summary>
    Sub8 = 8,

    /// <summary>16-bit SUB/SBB/CMP/NEG: Src1 minus Src2 (minus the borrow).</summary>
    Sub16 = 9,

    /// <summary>32-bit SUB/SBB/CMP/NEG: Src1 minus Src2 (minus the borrow).</summary>
    Sub32 = 10,

    /// <summary>64-bit SUB/SBB/CMP/NEG: Src1 minus Src2 (minus the borrow).</summary>
    Sub64 = 11,

    /// <summary>8-bit INC: Src1 is the operand, Src2 the carry flag that INC preserves.</summary>
    Inc8 = 12,

    /// <summary>16-bit INC: Src1 is the operand, Src2 the carry flag that INC preserves.</summary>
    Inc16 = 13,

    /// <summary>32-bit INC: Src1 is the operand, Src2 the carry flag that INC preserves.</summary>
    Inc32 = 14,

    /// <summary>64-bit INC: Src1 is the operand, Src2 the carry flag that INC preserves.</summary>
    Inc64 = 15,

    /// <summary>8-bit DEC: Src1 is the operand, Src2 the carry flag that DEC preserves.</summary>
    Dec8 = 16,

    /// <summary>16-bit DEC: Src1 is the operand, Src2 the carry flag that DEC preserves.</summary>
    Dec16 = 17,

    /// <summary>32-bit DEC: Src1 is the operand, Src2 the carry flag that DEC preserves.</summary>
    Dec32 = 18,

    /// <summary>64-bit DEC: Src1 is the operand, Src2 the carry flag that DEC preserves.</summary>
    Dec64 = 19,

    /// <summary>8-bit AND/OR/XOR/TEST: CF = OF = 0, AF = 0 (undefined by the SDM).</summary>
    Logic8 = 20,

    /// <summary>16-bit AND/OR/XOR/TEST: CF = OF = 0, AF = 0 (undefined by the SDM).</summary>
    Logic16 = 21,

    /// <summary>32-bit AND/OR/XOR/TEST: CF = OF = 0, AF = 0 (undefined by the SDM).</summary>
    Logic32 = 22,

    /// <summary>64-bit AND/OR/XOR/TEST: CF = OF = 0, AF = 0 (undefined by the SDM).</summary>
    Logic64 = 23,

    /// <summary>8-bit shifts, multiplies and others that give CF, OF, AF explicitly: CF is bit 0 of Src1, OF bit 0 and AF bit 1 of Src2.</summary>
    Explicit8 = 24,

    /// <summary>16-bit shifts, multiplies and others that give CF, OF, AF explicitly: CF is bit 0 of Src1, OF bit 0 and AF bit 1 of Src2.</summary>
    Explicit16 = 25,

    /// <summary>32-bit shifts, multiplies and others that give CF, OF, AF explicitly: CF is bit 0 of Src1, OF bit 0 and AF bit 1 of Src2.</summary>
    Explicit32 = 26,

    /// <summary>64-bit shifts, multiplies and others that give CF, OF, AF explicitly: CF is bit 0 of Src1, OF bit 0 and AF bit 1 of Src2.</summary>
    Explicit64 = 27,
}
