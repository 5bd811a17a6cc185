// Differential tests of the MMX and SSE…SSE4.2 instructions against the host processor.
//
// CI runs a fixed-seed sample (200 random inputs per instruction form, every rounding mode, DAZ and FTZ on and
// off, NaNs, denormals and infinities). Long campaign, as for the ALU tests:
//   SMP_DIFF_ITERATIONS=100000 dotnet test tests/Smp.Devices.Tests --filter SimdDifferential
// and another random stream with SMP_DIFF_SEED=<n>.
using Iced.Intel;
using Xunit.Abstractions;

namespace Smp.Devices.Tests.Differential;

public sealed class SimdDifferentialTests(ITestOutputHelper output)
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("SMP_DIFF_ITERATIONS"), out int n) && n > 0 ? n : 200;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("SMP_DIFF_SEED"), out int s) ? s : 20250101;

    private static readonly Dictionary<string, Mnemonic[]> Families = new()
    {
        ["FloatArithmetic"] =
        [
            Mnemonic.Addps, Mnemonic.Addpd, Mnemonic.Addss, Mnemonic.Addsd, Mnemonic.Subps, Mnemonic.Subpd, Mnemonic.Subss, Mnemonic.Subsd,
            Mnemonic.Mulps, Mnemonic.Mulpd, Mnemonic.Mulss, Mnemonic.Mulsd, Mnemonic.Divps, Mnemonic.Divpd, Mnemonic.Divss, Mnemonic.Divsd,
            Mnemonic.Minps, Mnemonic.Minpd, Mnemonic.Minss, Mnemonic.Minsd, Mnemonic.Maxps, Mnemonic.Maxpd, Mnemonic.Maxss, Mnemonic.Maxsd,
            Mnemonic.Sqrtps, Mnemonic.Sqrtpd, Mnemonic.Sqrtss, Mnemonic.Sqrtsd, Mnemonic.Rcpps, Mnemonic.Rcpss, Mnemonic.Rsqrtps, Mnemonic.Rsqrtss,
            Mnemonic.Addsubps, Mnemonic.Addsubpd, Mnemonic.Haddps, Mnemonic.Haddpd, Mnemonic.Hsubps, Mnemonic.Hsubpd,
        ],
        ["FloatCompare"] =
        [
            Mnemonic.Cmpps, Mnemonic.Cmppd, Mnemonic.Cmpss, Mnemonic.Cmpsd, Mnemonic.Comiss, Mnemonic.Comisd, Mnemonic.Ucomiss, Mnemonic.Ucomisd,
        ],
        ["Integer"] =
        [
            Mnemonic.Paddb, Mnemonic.Paddw, Mnemonic.Paddd, Mnemonic.Paddq, Mnemonic.Psubb, Mnemonic.Psubw, Mnemonic.Psubd, Mnemonic.Psubq,
            Mnemonic.Paddsb, Mnemonic.Paddsw, Mnemonic.Paddusb, Mnemonic.Paddusw, Mnemonic.Psubsb, Mnemonic.Psubsw, Mnemonic.Psubusb, Mnemonic.Psubusw,
            Mnemonic.Pcmpeqb, Mnemonic.Pcmpeqw, Mnemonic.Pcmpeqd, Mnemonic.Pcmpeqq, Mnemonic.Pcmpgtb, Mnemonic.Pcmpgtw, Mnemonic.Pcmpgtd, Mnemonic.Pcmpgtq,
            Mnemonic.Pand, Mnemonic.Pandn, Mnemonic.Por, Mnemonic.Pxor, Mnemonic.Pmullw, Mnemonic.Pmulhw, Mnemonic.Pmulhuw, Mnemonic.Pmaddwd,
            Mnemonic.Pmuludq, Mnemonic.Pmuldq, Mnemonic.Pmulld, Mnemonic.Psadbw, Mnemonic.Pavgb, Mnemonic.Pavgw,
            Mnemonic.Pminub, Mnemonic.Pmaxub, Mnemonic.Pminsw, Mnemonic.Pmaxsw, Mnemonic.Pminsb, Mnemonic.Pmaxsb, Mnemonic.Pminuw, Mnemonic.Pmaxuw,
            Mnemonic.Pminsd, Mnemonic.Pmaxsd, Mnemonic.Pminud, Mnemonic.Pmaxud,
            Mnemonic.Punpcklbw, Mnemonic.Punpcklwd, Mnemonic.Punpckldq, Mnemonic.Punpcklqdq, Mnemonic.Punpckhbw, Mnemonic.Punpckhwd,
            Mnemonic.Punpckhdq, Mnemonic.Punpckhqdq, Mnemonic.Packsswb, Mnemonic.Packuswb, Mnemonic.Packssdw, Mnemonic.Packusdw,
            Mnemonic.Pshufb, Mnemonic.Phaddw, Mnemonic.Phaddd, Mnemonic.Phaddsw, Mnemonic.Phsubw, Mnemonic.Phsubd, Mnemonic.Phsubsw,
            Mnemonic.Pmaddubsw, Mnemonic.Psignb, Mnemonic.Psignw, Mnemonic.Psignd, Mnemonic.Pmulhrsw, Mnemonic.Pabsb, Mnemonic.Pabsw, Mnemonic.Pabsd,
        ],
        ["Shifts"] =
        [
            Mnemonic.Psllw, Mnemonic.Pslld, Mnemonic.Psllq, Mnemonic.Psrlw, Mnemonic.Psrld, Mnemonic.Psrlq, Mnemonic.Psraw, Mnemonic.Psrad,
            Mnemonic.Pslldq, Mnemonic.Psrldq,
        ],
        ["Moves"] =
        [
            Mnemonic.Movaps, Mnemonic.Movapd, Mnemonic.Movdqa, Mnemonic.Movups, Mnemonic.Movupd, Mnemonic.Movdqu, Mnemonic.Lddqu,
            Mnemonic.Movntps, Mnemonic.Movntpd, Mnemonic.Movntdq, Mnemonic.Movntdqa, Mnemonic.Movss, Mnemonic.Movsd, Mnemonic.Movlps,
            Mnemonic.Movlpd, Mnemonic.Movhps, Mnemonic.Movhpd, Mnemonic.Movhlps, Mnemonic.Movlhps, Mnemonic.Movd, Mnemonic.Movq,
            Mnemonic.Movddup, Mnemonic.Movsldup, Mnemonic.Movshdup, Mnemonic.Movmskps, Mnemonic.Movmskpd, Mnemonic.Pmovmskb,
            Mnemonic.Maskmovdqu, Mnemonic.Maskmovq, Mnemonic.Movnti, Mnemonic.Movntq, Mnemonic.Movq2dq, Mnemonic.Movdq2q, Mnemonic.Emms,
        ],
        ["Shuffles"] =
        [
            Mnemonic.Shufps, Mnemonic.Shufpd, Mnemonic.Unpcklps, Mnemonic.Unpckhps, Mnemonic.Unpcklpd, Mnemonic.Unpckhpd,
            Mnemonic.Andps, Mnemonic.Andpd, Mnemonic.Andnps, Mnemonic.Andnpd, Mnemonic.Orps, Mnemonic.Orpd, Mnemonic.Xorps, Mnemonic.Xorpd,
            Mnemonic.Pshufd, Mnemonic.Pshufhw, Mnemonic.Pshuflw, Mnemonic.Pshufw, Mnemonic.Palignr, Mnemonic.Pextrw, Mnemonic.Pextrb,
            Mnemonic.Pextrd, Mnemonic.Pextrq, Mnemonic.Extractps, Mnemonic.Pinsrw, Mnemonic.Pinsrb, Mnemonic.Pinsrd, Mnemonic.Pinsrq,
            Mnemonic.Insertps, Mnemonic.Blendps, Mnemonic.Blendpd, Mnemonic.Pblendw, Mnemonic.Blendvps, Mnemonic.Blendvpd, Mnemonic.Pblendvb,
            Mnemonic.Pmovsxbw, Mnemonic.Pmovsxbd, Mnemonic.Pmovsxbq, Mnemonic.Pmovsxwd, Mnemonic.Pmovsxwq, Mnemonic.Pmovsxdq,
            Mnemonic.Pmovzxbw, Mnemonic.Pmovzxbd, Mnemonic.Pmovzxbq, Mnemonic.Pmovzxwd, Mnemonic.Pmovzxwq, Mnemonic.Pmovzxdq,
        ],
        ["Sse41"] =
        [
            Mnemonic.Roundps, Mnemonic.Roundpd, Mnemonic.Roundss, Mnemonic.Roundsd, Mnemonic.Dpps, Mnemonic.Dppd, Mnemonic.Ptest,
            Mnemonic.Mpsadbw, Mnemonic.Phminposuw,
        ],
        ["Strings"] =
        [
            Mnemonic.Pcmpestri, Mnemonic.Pcmpestri64, Mnemonic.Pcmpestrm, Mnemonic.Pcmpestrm64, Mnemonic.Pcmpistri, Mnemonic.Pcmpistrm,
        ],
        ["Conversions"] =
        [
            Mnemonic.Cvtsi2ss, Mnemonic.Cvtsi2sd, Mnemonic.Cvtss2si, Mnemonic.Cvtsd2si, Mnemonic.Cvttss2si, Mnemonic.Cvttsd2si,
            Mnemonic.Cvtss2sd, Mnemonic.Cvtsd2ss, Mnemonic.Cvtps2pd, Mnemonic.Cvtpd2ps, Mnemonic.Cvtdq2ps, Mnemonic.Cvtps2dq,
            Mnemonic.Cvttps2dq, Mnemonic.Cvtdq2pd, Mnemonic.Cvtpd2dq, Mnemonic.Cvttpd2dq, Mnemonic.Cvtpi2ps, Mnemonic.Cvtpi2pd,
            Mnemonic.Cvtps2pi, Mnemonic.Cvttps2pi, Mnemonic.Cvtpd2pi, Mnemonic.Cvttpd2pi,
        ],
    };

    /// <summary>Every legacy 64-bit-mode code of the family's mnemonics, register form and (when it has one) memory form.</summary>
    public static TheoryData<Code, bool> Cases(string family)
    {
        var set = new HashSet<Mnemonic>(Families[family]);
        var data = new TheoryData<Code, bool>();
        foreach (var code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID || !set.Contains(code.Mnemonic())) continue;
            var op = code.ToOpCode();
            if (op.Encoding != EncodingKind.Legacy || !op.Mode64 || !IsSimd(op)) continue;
            bool hasRm = false, memoryOnly = false;
            for (int i = 0; i < op.OpCount; i++)
            {
                var k = op.GetOpKind(i);
                hasRm |= k is OpCodeOperandKind.xmm_or_mem or OpCodeOperandKind.mm_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem;
                memoryOnly |= k == OpCodeOperandKind.mem;
            }
            if (!memoryOnly) data.Add(code, false);
            if (hasRm || memoryOnly) data.Add(code, true);
        }
        return data;
    }

    // The string instruction CMPSD shares its mnemonic with the SSE2 compare: keep forms with an XMM or MMX operand.
    private static bool IsSimd(OpCodeInfo op) => op.Mnemonic is Mnemonic.Emms or Mnemonic.Movnti || Enumerable.Range(0, op.OpCount).Any(i => op.GetOpKind(i) is OpCodeOperandKind.xmm_reg
        or OpCodeOperandKind.xmm_rm or OpCodeOperandKind.xmm_or_mem or OpCodeOperandKind.mm_reg or OpCodeOperandKind.mm_rm or OpCodeOperandKind.mm_or_mem);

    [Theory, MemberData(nameof(Cases), "FloatArithmetic")]
    public void FloatArithmetic_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "FloatCompare")]
    public void FloatCompare_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Integer")]
    public void Integer_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Shifts")]
    public void Shifts_match_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Moves")]
    public void Moves_match_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Shuffles")]
    public void Shuffles_match_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Sse41")]
    public void Sse41_matches_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Strings")]
    public void Strings_match_host(Code code, bool memory) => Check(code, memory);

    [Theory, MemberData(nameof(Cases), "Conversions")]
    public void Conversions_match_host(Code code, bool memory) => Check(code, memory);

    private void Check(Code code, bool memory)
    {
        using var h = new SimdDifferentialHarness(code, memory, Seed ^ (int)code * 7919 ^ (memory ? 0x1000 : 0));
        h.Run(Iterations);
        output.WriteLine($"{code} {(memory ? "mem" : "reg")}: {h.Executed} executed, {h.Rejected} rejected");
        Assert.True(h.Failures.Count == 0, string.Join("\n", h.Failures));
        Assert.True(h.Executed > 0, "the oracle executed nothing");
    }
}
