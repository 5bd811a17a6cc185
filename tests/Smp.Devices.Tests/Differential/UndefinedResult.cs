using Iced.Intel;
using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// Inputs for which the SDM leaves an instruction's <em>result</em> (not only its flags) undefined, so that
/// processors of different vendors legitimately disagree: the differential harness compares everything
/// else against the host and leaves the destination to the hand-written tests of the behaviour the
/// simulator models (<c>AluBehaviourTests</c>).
/// </summary>
internal static class UndefinedResult
{
    /// <summary>Whether the SDM leaves the destination of <paramref name="instr"/> undefined for <paramref name="input"/> (memory operands are [base + disp] with the base at window + <paramref name="baseOffset"/>).</summary>
    public static bool IsUndefined(in Instruction instr, MachineState input, int baseOffset)
    {
        switch (instr.Mnemonic)
        {
            // SDM Vol. 2B SHLD/SHRD: "If the count is greater than the operand size, the result is undefined."
            // Only a 16-bit operand can see it (the count is masked to 5 bits); Intel's P6 family shifts
            // dest:src:dest, AMD's dest:src:src.
            case Mnemonic.Shld or Mnemonic.Shrd:
            {
                int bits = DestinationBits(instr);
                ulong raw = instr.GetOpKind(2) == OpKind.Register ? input.Rcx & 0xFF : instr.GetImmediate(2);
                return (raw & (bits == 64 ? 0x3FUL : 0x1FUL)) > (ulong)bits;
            }
            // SDM Vol. 2A BSF/BSR: "If the content of the source operand is 0, the content of the destination
            // operand is undefined." (AMD documents it as unchanged; the simulator keeps it.)
            case Mnemonic.Bsf or Mnemonic.Bsr:
                return SourceValue(instr, input, baseOffset) == 0;
            default:
                return false;
        }
    }

    /// <summary>
    /// A copy of <paramref name="expected"/> whose destination operand (register or memory bytes) holds
    /// <paramref name="simulated"/>'s value, so a comparison ignores exactly the undefined part.
    /// </summary>
    public static MachineState TakeDestinationFrom(MachineState simulated, MachineState expected, in Instruction instr, int baseOffset)
    {
        var result = expected.Clone();
        int bytes = DestinationBits(instr) / 8;
        if (instr.Op0Kind == OpKind.Register)
        {
            var reg = instr.Op0Register;
            int index = reg.GetFullRegister() - Register.RAX;
            // A 32-bit write's zero-extension of the upper half is part of the undefined result too.
            ulong mask = bytes >= 4 ? ulong.MaxValue : (1UL << (bytes * 8)) - 1;
            result.Gpr[index] = (expected.Gpr[index] & ~mask) | (simulated.Gpr[index] & mask);
        }
        else
        {
            int offset = baseOffset + (int)(long)instr.MemoryDisplacement64;
            simulated.Memory.AsSpan(offset, bytes).CopyTo(result.Memory.AsSpan(offset, bytes));
        }
        return result;
    }

    private static int DestinationBits(in Instruction instr) =>
        (instr.Op0Kind == OpKind.Register ? instr.Op0Register.GetSize() : instr.MemorySize.GetSize()) * 8;

    private static ulong SourceValue(in Instruction instr, MachineState input, int baseOffset)
    {
        if (instr.Op1Kind == OpKind.Register)
        {
            var reg = instr.Op1Register;
            ulong mask = reg.GetSize() == 8 ? ulong.MaxValue : (1UL << (reg.GetSize() * 8)) - 1;
            return input.Gpr[reg.GetFullRegister() - Register.RAX] & mask;
        }
        int size = instr.MemorySize.GetSize();
        int at = baseOffset + (int)(long)instr.MemoryDisplacement64;
        ulong value = 0;
        for (int i = size - 1; i >= 0; i--) value = (value << 8) | input.Memory[at + i];
        return value;
    }
}
