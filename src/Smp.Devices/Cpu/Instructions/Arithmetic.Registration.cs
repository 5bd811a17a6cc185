using Iced.Intel;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Finds the legacy-encoded Iced codes of a mnemonic and classifies their operand forms, so the ALU
/// families choose each code's handler (operand size and form) once, at registration.
/// </summary>
internal static class AluCodes
{
    private static Dictionary<Mnemonic, List<Code>>? _byMnemonic;

    /// <summary>Every legacy-encoded (non-VEX/EVEX/XOP) code of <paramref name="mnemonic"/>.</summary>
    public static List<Code> Of(Mnemonic mnemonic)
    {
        var map = _byMnemonic ??= Build();
        return map.TryGetValue(mnemonic, out var list) ? list : [];
    }

    private static Dictionary<Mnemonic, List<Code>> Build()
    {
        var map = new Dictionary<Mnemonic, List<Code>>();
        foreach (var code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID || code.ToOpCode().Encoding != EncodingKind.Legacy) continue;
            var m = code.Mnemonic();
            if (!map.TryGetValue(m, out var list)) map[m] = list = [];
            list.Add(code);
        }
        return map;
    }

    /// <summary>Operand size index (0 = 8 … 3 = 64 bits) of a code's main operand.</summary>
    public static int SizeIndex(Code code) => code.ToOpCode().OperandSize switch { 16 => 1, 32 => 2, 64 => 3, _ => 0 };

    /// <summary>Size index of a register or r/m operand kind, or -1.</summary>
    public static int SizeIndex(OpCodeOperandKind k) => k switch
    {
        OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode or OpCodeOperandKind.al => 0,
        OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode or OpCodeOperandKind.ax => 1,
        OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.eax => 2,
        OpCodeOperandKind.r64_or_mem or OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode or OpCodeOperandKind.rax => 3,
        _ => -1,
    };

    /// <summary>Whether operand <paramref name="index"/> of <paramref name="code"/> is an immediate.</summary>
    public static bool IsImmediate(Code code, int index)
    {
        var o = code.ToOpCode();
        if (index >= o.OpCount) return false;
        return o.GetOpKind(index) is OpCodeOperandKind.imm8 or OpCodeOperandKind.imm16 or OpCodeOperandKind.imm32
            or OpCodeOperandKind.imm8sex16 or OpCodeOperandKind.imm8sex32 or OpCodeOperandKind.imm8sex64
            or OpCodeOperandKind.imm32sex64 or OpCodeOperandKind.imm8_const_1;
    }

    /// <summary>Whether operand <paramref name="index"/> of <paramref name="code"/> is CL.</summary>
    public static bool IsCl(Code code, int index)
    {
        var o = code.ToOpCode();
        return index < o.OpCount && o.GetOpKind(index) == OpCodeOperandKind.cl;
    }

    /// <summary>Whether operand <paramref name="index"/> of <paramref name="code"/> may be memory (an r/m operand).</summary>
    public static bool IsRm(Code code, int index)
    {
        var o = code.ToOpCode();
        return index < o.OpCount && o.GetOpKind(index) is OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem
            or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem;
    }
}
