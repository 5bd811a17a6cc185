using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>Binary arithmetic: ADD, ADC, SUB, SBB, CMP, NEG, INC, DEC (SDM Vol. 1 §7.3.2; Vol. 2 instruction pages).</summary>
internal static class Arithmetic
{
    [InstructionFamily]
    internal static void Register()
    {
        AluForms.RegisterBinary<AddOp>(Mnemonic.Add);
        AluForms.RegisterBinary<AdcOp>(Mnemonic.Adc);
        AluForms.RegisterBinary<SubOp>(Mnemonic.Sub);
        AluForms.RegisterBinary<SbbOp>(Mnemonic.Sbb);
        AluForms.RegisterBinary<CmpOp>(Mnemonic.Cmp);
        AluForms.RegisterUnary<NegOp>(Mnemonic.Neg);
        // Includes the one-byte 40h–4Fh forms of 16/32-bit code (Inc_r16, Inc_r32, ...).
        AluForms.RegisterUnary<IncOp>(Mnemonic.Inc);
        AluForms.RegisterUnary<DecOp>(Mnemonic.Dec);
    }

    private struct AddOp : IBinaryOp
    {
        public static bool WritesResult => true;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a + b;
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsAdd(TS.Index, a, b, r);
    }

    // The carry-out and overflow formulas of the ADD/SUB recorders hold with a carry-in, so ADC and
    // SBB record the plain operands and the result that includes CF.
    private struct AdcOp : IBinaryOp
    {
        public static bool WritesResult => true;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a + b + (c.GetCF() ? 1UL : 0);
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsAdd(TS.Index, a, b, r);
    }

    private struct SubOp : IBinaryOp
    {
        public static bool WritesResult => true;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a - b;
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsSub(TS.Index, a, b, r);
    }

    private struct SbbOp : IBinaryOp
    {
        public static bool WritesResult => true;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a - b - (c.GetCF() ? 1UL : 0);
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsSub(TS.Index, a, b, r);
    }

    private struct CmpOp : IBinaryOp
    {
        public static bool WritesResult => false;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a - b;
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsSub(TS.Index, a, b, r);
    }

    // NEG is 0 − a: CF = (a ≠ 0) falls out of the borrow formula.
    private struct NegOp : IUnaryOp
    {
        public static ulong Compute(ulong a) => 0 - a;
        public static void Flags<TS>(CpuCore c, ulong a, ulong r) where TS : struct, IOperandSize => c.SetFlagsSub(TS.Index, 0, a, r);
    }

    private struct IncOp : IUnaryOp
    {
        public static ulong Compute(ulong a) => a + 1;
        public static void Flags<TS>(CpuCore c, ulong a, ulong r) where TS : struct, IOperandSize => c.SetFlagsInc(TS.Index, a, r);
    }

    private struct DecOp : IUnaryOp
    {
        public static ulong Compute(ulong a) => a - 1;
        public static void Flags<TS>(CpuCore c, ulong a, ulong r) where TS : struct, IOperandSize => c.SetFlagsDec(TS.Index, a, r);
    }
}
