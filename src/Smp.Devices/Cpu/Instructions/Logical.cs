using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Logical instructions AND, OR, XOR, TEST (CF = OF = 0, SF/ZF/PF from the result, AF undefined) and
/// NOT (no flags) (SDM Vol. 1 §7.3.4; Vol. 2 instruction pages).
/// </summary>
internal static class Logical
{
    [InstructionFamily]
    internal static void Register()
    {
        AluForms.RegisterBinary<AndOp>(Mnemonic.And);
        AluForms.RegisterBinary<OrOp>(Mnemonic.Or);
        AluForms.RegisterBinary<XorOp>(Mnemonic.Xor);
        AluForms.RegisterBinary<TestOp>(Mnemonic.Test);
        AluForms.RegisterUnary<NotOp>(Mnemonic.Not);
    }

    private struct AndOp : IBinaryOp
    {
        public static bool WritesResult => true;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a & b;
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsLogic(TS.Index, r);
    }

    private struct OrOp : IBinaryOp
    {
        public static bool WritesResult => true;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a | b;
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsLogic(TS.Index, r);
    }

    private struct XorOp : IBinaryOp
    {
        public static bool WritesResult => true;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a ^ b;
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsLogic(TS.Index, r);
    }

    private struct TestOp : IBinaryOp
    {
        public static bool WritesResult => false;
        public static ulong Compute(CpuCore c, ulong a, ulong b) => a & b;
        public static void Flags<TS>(CpuCore c, ulong a, ulong b, ulong r) where TS : struct, IOperandSize => c.SetFlagsLogic(TS.Index, r);
    }

    private struct NotOp : IUnaryOp
    {
        public static ulong Compute(ulong a) => ~a;
        public static void Flags<TS>(CpuCore c, ulong a, ulong r) where TS : struct, IOperandSize { }
    }
}
