using Iced.Intel;

namespace Smp.Devices.Tests.HostOracle;

/// <summary>
/// Architectural RFLAGS bit constants and the "which flags are defined after this instruction" computation
/// used by differential tests to compare only meaningful bits.
/// </summary>
public static class FlagsMask
{
#pragma warning disable CS1591
    public const ulong CF = 1UL << 0;
    public const ulong PF = 1UL << 2;
    public const ulong AF = 1UL << 4;
    public const ulong ZF = 1UL << 6;
    public const ulong SF = 1UL << 7;
    public const ulong DF = 1UL << 10;
    public const ulong OF = 1UL << 11;
#pragma warning restore CS1591

    /// <summary>The six status flags CF, PF, AF, ZF, SF, OF.</summary>
    public const ulong Arithmetic = CF | PF | AF | ZF | SF | OF;

    /// <summary>Flags the caller controls as input and the oracle reports as output: the six status flags and DF.</summary>
    public const ulong Controllable = Arithmetic | DF;

    /// <summary>Converts Iced's <see cref="RflagsBits"/> (its own layout) to architectural RFLAGS positions (status flags and DF only).</summary>
    public static ulong FromIced(RflagsBits bits)
    {
        ulong m = 0;
        if ((bits & RflagsBits.CF) != 0) m |= CF;
        if ((bits & RflagsBits.PF) != 0) m |= PF;
        if ((bits & RflagsBits.AF) != 0) m |= AF;
        if ((bits & RflagsBits.ZF) != 0) m |= ZF;
        if ((bits & RflagsBits.SF) != 0) m |= SF;
        if ((bits & RflagsBits.DF) != 0) m |= DF;
        if ((bits & RflagsBits.OF) != 0) m |= OF;
        return m;
    }

    /// <summary>
    /// Mask (subset of <see cref="Controllable"/>) of the flags whose value after <paramref name="instruction"/> is
    /// architecturally defined: every controllable flag except those Iced lists as undefined. Flags the
    /// instruction does not touch are included (they must keep their input value); DF is always included.
    /// </summary>
    /// <remarks>
    /// Shifts/rotates/SHLD/SHRD with a CL count: the count is unknown statically, so this is conservative
    /// (OF and AF excluded; for 8/16-bit SHL/SHR also CF, because a count ≥ the operand size leaves CF undefined).
    /// Use <see cref="Defined(in Instruction, ulong)"/> with the input RCX for the exact mask. With an immediate
    /// count the exact rule is applied: count 0 (after masking with 0x1F, or 0x3F for 64-bit) leaves all flags
    /// unchanged (all defined); OF is defined only for a count of 1; AF is undefined for shifts with nonzero count;
    /// SHLD/SHRD with count &gt; operand size leave every status flag undefined.
    /// </remarks>
    public static ulong Defined(in Instruction instruction)
    {
        if (TryShiftCount(instruction, out int countOp) && instruction.GetOpKind(countOp) != OpKind.Register)
            return ShiftDefined(instruction, instruction.GetImmediate(countOp));
        if (TryShiftCount(instruction, out _))
            return ShiftDefinedUnknownCount(instruction);
        return Controllable & ~FromIced(instruction.RflagsUndefined);
    }

    /// <summary>
    /// Like <see cref="Defined(in Instruction)"/>, but resolves a CL shift/rotate count from <paramref name="rcx"/>
    /// (the input RCX), giving the exact mask for shifts and rotates.
    /// </summary>
    public static ulong Defined(in Instruction instruction, ulong rcx)
    {
        if (TryShiftCount(instruction, out int countOp))
        {
            ulong count = instruction.GetOpKind(countOp) == OpKind.Register ? rcx & 0xFF : instruction.GetImmediate(countOp);
            return ShiftDefined(instruction, count);
        }
        return Defined(instruction);
    }

    /// <summary>Renders the set flags as e.g. "[CF ZF]".</summary>
    public static string Describe(ulong rflags)
    {
        var parts = new List<string>();
        if ((rflags & CF) != 0) parts.Add("CF");
        if ((rflags & PF) != 0) parts.Add("PF");
        if ((rflags & AF) != 0) parts.Add("AF");
        if ((rflags & ZF) != 0) parts.Add("ZF");
        if ((rflags & SF) != 0) parts.Add("SF");
        if ((rflags & DF) != 0) parts.Add("DF");
        if ((rflags & OF) != 0) parts.Add("OF");
        return "[" + string.Join(' ', parts) + "]";
    }

    private static bool TryShiftCount(in Instruction instruction, out int countOp)
    {
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar
                or Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr:
                countOp = 1;
                return instruction.OpCount == 2;
            case Mnemonic.Shld or Mnemonic.Shrd:
                countOp = 2;
                return instruction.OpCount == 3;
            default:
                countOp = -1;
                return false;
        }
    }

    private static int OperandBits(in Instruction instruction)
    {
        if (instruction.Op0Kind == OpKind.Register)
            return instruction.Op0Register.GetSize() * 8;
        return instruction.MemorySize.GetSize() * 8;
    }

    private static ulong ShiftDefined(in Instruction instruction, ulong rawCount)
    {
        int bits = OperandBits(instruction);
        ulong count = rawCount & (bits == 64 ? 0x3FUL : 0x1FUL);
        if (count == 0)
            return Controllable; // flags unchanged
        ulong defined = Controllable;
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr:
                defined &= ~AF;
                if (count != 1) defined &= ~OF;
                if (count >= (ulong)bits) defined &= ~CF;
                break;
            case Mnemonic.Sar:
                defined &= ~AF;
                if (count != 1) defined &= ~OF;
                break;
            case Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr:
                // Only CF and OF are written; OF is undefined for counts other than 1.
                if (count != 1) defined &= ~OF;
                break;
            case Mnemonic.Shld or Mnemonic.Shrd:
                if (count > (ulong)bits) return DF;
                defined &= ~AF;
                if (count != 1) defined &= ~OF;
                break;
        }
        return defined;
    }

    private static ulong ShiftDefinedUnknownCount(in Instruction instruction)
    {
        int bits = OperandBits(instruction);
        ulong defined = Controllable & ~OF;
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr:
                defined &= ~AF;
                if (bits < 32) defined &= ~CF;
                break;
            case Mnemonic.Sar:
                defined &= ~AF;
                break;
            case Mnemonic.Shld or Mnemonic.Shrd:
                if (bits < 32) return DF;
                defined &= ~AF;
                break;
        }
        return defined;
    }
}
