// Differential tests of the x87 FPU against the host processor, through the oracle's FXSAVE image.
//
// CI runs a fixed-seed sample (200 random states per instruction form). Long campaign:
//   SMP_DIFF_ITERATIONS=100000 dotnet test tests/Smp.Devices.Tests --filter X87Differential
// and another random stream with SMP_DIFF_SEED=<n>. Failures print the instruction, the input x87 state, the
// memory operand, the host's result and the differences.
using Iced.Intel;
using Xunit.Abstractions;

namespace Smp.Devices.Tests.Differential;

public sealed class X87DifferentialTests(ITestOutputHelper output)
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("SMP_DIFF_ITERATIONS"), out int n) && n > 0 ? n : 200;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("SMP_DIFF_SEED"), out int s) ? s : 20250101;

    private static readonly HashSet<Mnemonic> Transcendental =
    [
        Mnemonic.Fsin, Mnemonic.Fcos, Mnemonic.Fsincos, Mnemonic.Fptan, Mnemonic.Fpatan, Mnemonic.F2xm1, Mnemonic.Fyl2x, Mnemonic.Fyl2xp1,
    ];

    // Encodings Iced decodes that no current processor executes (287XL FRSTPM, 386SL FSTDW/FSTSG, Cyrix forms).
    private static readonly HashSet<Mnemonic> NotOnThisProcessor =
    [
        Mnemonic.Frstpm, Mnemonic.Fstdw, Mnemonic.Fstsg, Mnemonic.Fnstdw, Mnemonic.Fnstsg, Mnemonic.Ftstp, Mnemonic.Frint2,
        Mnemonic.Frichop, Mnemonic.Frinear,
    ];

    /// <summary>Every legacy 64-bit-mode x87 code (FPU in its CPUID features), by group.</summary>
    public static TheoryData<Code> Cases(bool transcendental)
    {
        var data = new TheoryData<Code>();
        foreach (var code in Enum.GetValues<Code>())
        {
            if (code == Code.INVALID) continue;
            var op = code.ToOpCode();
            if (op.Encoding != EncodingKind.Legacy || !op.Mode64) continue;
            var m = code.Mnemonic();
            bool x87 = m == Mnemonic.Wait;
            foreach (var f in new Instruction { Code = code }.CpuidFeatures)
                x87 |= f is CpuidFeature.FPU or CpuidFeature.FPU287 or CpuidFeature.FPU387;
            if (!x87 || NotOnThisProcessor.Contains(m) || Transcendental.Contains(m) != transcendental) continue;
            // The 9Bh forms Iced encodes as one instruction decode (on the host and in the core) as WAIT + the FN form.
            if (op.Fwait) continue;
            // D9 D8+i: FSTP on Intel, AMD's FSTPNCE (no empty check) on the host; modelled as Intel's, hand-tested.
            if (code == Code.Fstpnce_sti) continue;
            data.Add(code);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases), false)]
    public void X87_instruction_matches_host(Code code)
    {
        using var h = new X87DifferentialHarness(code, Seed ^ (int)code);
        h.Run(Iterations);
        Report(code, h);
    }

    /// <summary>
    /// The transcendental instructions against the host within <see cref="TranscendentalUlps"/> units in the last
    /// place (SDM Vol. 1 §8.3.10: errors below one ulp on Intel; AMD documents its own bound), with arguments mostly
    /// kept where no argument reduction by π happens (the processor's 66-bit π makes reduced results differ from the
    /// true function); NaNs, infinities, zeros, denormals, unsupported encodings and |x| ≥ 2^63 still come and are
    /// compared exactly, with every flag.
    /// </summary>
    [Theory, MemberData(nameof(Cases), true)]
    public void X87_transcendental_matches_host_within_ulps(Code code)
    {
        using var h = new X87DifferentialHarness(code, Seed ^ (int)code)
        {
            UlpTolerance = TranscendentalUlps,
            Shape = (fx, g) => ShapeArguments(code.Mnemonic(), fx, g),
        };
        h.Run(Iterations);
        Report(code, h);
    }

    private const int TranscendentalUlps = 1;

    // Keeps a finite ST(0) inside each instruction's domain where the result is defined and well conditioned (F2XM1
    // is undefined outside [−1, 1], FYL2XP1 outside ±(1 − √2/2); FSIN & co. reduce by the processor's own π beyond
    // π/4); NaNs, infinities, zeros, denormals, unsupported encodings and |x| ≥ 2^63 pass unchanged.
    private static void ShapeArguments(Mnemonic m, HostOracle.FxsaveImage fx, X87OperandGenerator g)
    {
        var (sig, se) = fx.GetSt(0);
        int e = se & 0x7FFF;
        bool finite = e != 0 && e != 0x7FFF && (sig >> 63) != 0;
        if (!finite) return;
        bool trig = m is Mnemonic.Fsin or Mnemonic.Fcos or Mnemonic.Fsincos or Mnemonic.Fptan;
        if (trig && e >= 0x3FFF + 63) return;
        int exponent;
        bool negative = (se & 0x8000) != 0;
        switch (m)
        {
            case Mnemonic.F2xm1 or Mnemonic.Fsin or Mnemonic.Fcos or Mnemonic.Fsincos or Mnemonic.Fptan:
                exponent = 0x3FFF - 1 - g.Next(40);
                break;
            case Mnemonic.Fyl2xp1:
                exponent = 0x3FFF - 3 - g.Next(40);
                break;
            case Mnemonic.Fyl2x:
                exponent = 0x3FFF + g.Next(-20, 20);
                negative = g.Next(10) == 0;
                break;
            default:
                return;
        }
        fx.SetSt(0, sig, (ushort)((negative ? 0x8000 : 0) | exponent));
    }

    private void Report(Code code, X87DifferentialHarness h)
    {
        output.WriteLine($"{code}: {h.Executed} executed, {h.Rejected} rejected by the oracle");
        foreach (var f in h.Failures) output.WriteLine(f);
        Assert.True(h.Failures.Count == 0, $"{code}: {h.Failures.Count} mismatches\n{string.Join("\n", h.Failures)}");
        Assert.True(h.Executed > 0, $"{code}: nothing executed");
    }
}
