// Differential tests of the ALU instructions against the host processor.
//
// CI runs a fixed-seed sample (200 random inputs per instruction form). Long campaign:
//   SMP_DIFF_ITERATIONS=100000 dotnet test tests/Smp.Devices.Tests --filter Differential
// and a different random stream with SMP_DIFF_SEED=<n> (default 20250101). Failures print the
// instruction, its bytes, the input state and the register/flag/memory differences.
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Xunit.Abstractions;

namespace Smp.Devices.Tests.Differential;

public sealed class AluDifferentialTests(ITestOutputHelper output)
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("SMP_DIFF_ITERATIONS"), out int n) && n > 0 ? n : 200;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("SMP_DIFF_SEED"), out int s) ? s : 20250101;

    private static readonly Dictionary<string, Mnemonic[]> Families = new()
    {
        ["Arithmetic"] = [Mnemonic.Add, Mnemonic.Adc, Mnemonic.Sub, Mnemonic.Sbb, Mnemonic.Cmp, Mnemonic.Neg, Mnemonic.Inc, Mnemonic.Dec],
        ["Logical"] = [Mnemonic.And, Mnemonic.Or, Mnemonic.Xor, Mnemonic.Test, Mnemonic.Not],
        ["Shifts"] = [Mnemonic.Shl, Mnemonic.Sal, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Rcl, Mnemonic.Rcr, Mnemonic.Shld, Mnemonic.Shrd],
        ["MultiplyDivide"] = [Mnemonic.Mul, Mnemonic.Imul, Mnemonic.Div, Mnemonic.Idiv],
        ["BitOperations"] = [Mnemonic.Bt, Mnemonic.Bts, Mnemonic.Btr, Mnemonic.Btc, Mnemonic.Bsf, Mnemonic.Bsr, Mnemonic.Popcnt, Mnemonic.Lzcnt, Mnemonic.Tzcnt, Mnemonic.Bswap],
        ["Conditional"] =
        [
            Mnemonic.Seto, Mnemonic.Setno, Mnemonic.Setb, Mnemonic.Setae, Mnemonic.Sete, Mnemonic.Setne, Mnemonic.Setbe, Mnemonic.Seta,
            Mnemonic.Sets, Mnemonic.Setns, Mnemonic.Setp, Mnemonic.Setnp, Mnemonic.Setl, Mnemonic.Setge, Mnemonic.Setle, Mnemonic.Setg,
            Mnemonic.Cmovo, Mnemonic.Cmovno, Mnemonic.Cmovb, Mnemonic.Cmovae, Mnemonic.Cmove, Mnemonic.Cmovne, Mnemonic.Cmovbe, Mnemonic.Cmova,
            Mnemonic.Cmovs, Mnemonic.Cmovns, Mnemonic.Cmovp, Mnemonic.Cmovnp, Mnemonic.Cmovl, Mnemonic.Cmovge, Mnemonic.Cmovle, Mnemonic.Cmovg,
        ],
        ["Conversions"] = [Mnemonic.Cbw, Mnemonic.Cwde, Mnemonic.Cdqe, Mnemonic.Cwd, Mnemonic.Cdq, Mnemonic.Cqo, Mnemonic.Movzx, Mnemonic.Movsx, Mnemonic.Movsxd],
        ["FlagControl"] = [Mnemonic.Clc, Mnemonic.Stc, Mnemonic.Cmc, Mnemonic.Cld, Mnemonic.Std, Mnemonic.Lahf, Mnemonic.Sahf],
    };

    /// <summary>Every legacy 64-bit-mode code of the family's mnemonics, once per operand form (register; memory when it has an r/m operand).</summary>
    public static TheoryData<Code, bool> Cases(string family)
    {
        var set = new HashSet<Mnemonic>(Families[family]);
        var data = new TheoryData<Code, bool>();
        foreach (var code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID || !set.Contains(code.Mnemonic())) continue;
            var op = code.ToOpCode();
            if (op.Encoding != EncodingKind.Legacy || !op.Mode64) continue;
            data.Add(code, false);
            for (int i = 0; i < op.OpCount; i++)
                if (op.GetOpKind(i) is OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem)
                {
                    data.Add(code, true);
                    break;
                }
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases), "Arithmetic")]
    public void Arithmetic_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Logical")]
    public void Logical_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Shifts")]
    public void Shifts_match_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "MultiplyDivide")]
    public void MultiplyDivide_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "BitOperations")]
    public void BitOperations_match_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Conditional")]
    public void Conditional_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Conversions")]
    public void Conversions_match_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "FlagControl")]
    public void FlagControl_matches_host(Code code, bool memory) => Check(code, memory);

    private void Check(Code code, bool memory)
    {
        Assert.True(HandlerTable.IsImplemented(code), $"{code} has no handler");
        using var h = new AluDifferentialHarness(code, memory, Seed ^ ((int)code * 7919) ^ (memory ? 0x10000 : 0));
        h.Run(Iterations);
        output.WriteLine($"{code} {(memory ? "mem" : "reg")}: {h.Executed} executed ({h.Faulted} #DE), {h.Rejected} rejected by the oracle, {h.Elapsed.TotalMilliseconds:F0} ms");
        if (h.Failures.Count > 0)
            Assert.Fail($"{h.Failures.Count} mismatch(es) for {code} ({(memory ? "memory" : "register")} form):\n\n" + string.Join("\n", h.Failures));
        Assert.True(h.Executed > 0, "no input was executed");
    }
}
