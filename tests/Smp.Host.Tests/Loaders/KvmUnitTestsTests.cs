using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// kvm-unit-tests as a conformance suite: every image in <c>shared/kvm-unit-tests/x86</c>, with the CPU count and
/// arguments of its row in that folder's README, runs under <c>smp run --kernel IMAGE --cpus N --memory 128</c> (QEMU's
/// <c>-smp N -m 128</c>; pc-testdev and isa-debug-exit are there by default) and must give the exit code and SUMMARY
/// line of <see cref="KvmUnitTestExpectations"/>. A test whose CPU features are still missing (probed on the simulated
/// CPU) only has to end cleanly within its budget; the output says what it waits for.
/// </summary>
public sealed partial class KvmUnitTestsTests(ITestOutputHelper output)
{
    public static TheoryData<string, int> Runs()
    {
        var data = new TheoryData<string, int>();
        if (KvmUnitTestsFolder.Path is null) return data;
        foreach (var run in KvmUnitTestsFolder.Runs()) data.Add(run.Name, run.Cpus);
        return data;
    }

    [KvmUnitTestsFact]
    public void Every_image_has_a_readme_row_and_an_expectation()
    {
        var runs = KvmUnitTestsFolder.Runs();
        foreach (string image in KvmUnitTestsFolder.Images())
        {
            Assert.True(runs.Any(r => r.Name == image), $"x86/{image}.flat has no row in shared/kvm-unit-tests/README.md");
            Assert.True(KvmUnitTestExpectations.For(image) is not null, $"x86/{image}.flat has no row in KvmUnitTestExpectations");
        }
    }

    [KvmUnitTestsTheory]
    [MemberData(nameof(Runs))]
    public void Runs_as_the_sdm_says(string name, int cpus)
    {
        var run = KvmUnitTestsFolder.Runs().Single(r => r.Name == name && r.Cpus == cpus);
        var expected = KvmUnitTestExpectations.For(name) ?? throw new InvalidOperationException($"no expectation for {name}");
        if (expected.Slow && Environment.GetEnvironmentVariable("SMP_KVM_UNIT_TESTS_SLOW") != "1")
        {
            output.WriteLine($"{run}: not run ({expected.Note}); set SMP_KVM_UNIT_TESTS_SLOW=1 to run it.");
            return;
        }

        var missing = KvmUnitTestExpectations.Missing(expected.Needs);
        long budget = missing.Count > 0 ? Math.Min(expected.Budget, KvmUnitTestExpectations.PendingBudget) : expected.Budget;
        string[] args = ["run", "--kernel", KvmUnitTestsFolder.Image(name), "--cpus", $"{cpus}", "--memory", "128", "--max-instructions", $"{budget}"];
        if (run.Append is not null) args = [.. args, "--append", run.Append];
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = SmpCli.Run(args, stdout, stderr);
        string com1 = stdout.ToString();
        string? summary = Summary().Matches(com1).LastOrDefault()?.Value.TrimEnd();
        output.WriteLine($"{run}: exit {code}, {summary ?? "no SUMMARY line"}; QEMU 7.2{(run.QemuParams is null ? "" : $" ({run.QemuParams})")}: {run.QemuResult}");
        if (expected.Note is not null) output.WriteLine($"note: {expected.Note}");
        output.WriteLine(stderr.ToString());

        if (missing.Count > 0)
        {
            output.WriteLine($"pending: the CPU lacks {string.Join("; ", missing)}.");
            Assert.NotEqual(ExitCodes.InternalError, code); // guest code never crashes the simulator
            Assert.NotEqual(ExitCodes.Usage, code);
            return;
        }

        Assert.True(code == expected.ExitCode, $"{run}: exit code {code}, expected {expected.ExitCode}; COM1 ends:\n{Tail(com1)}\n{stderr}");
        if (expected.Summary is not null) Assert.Equal(expected.Summary, summary);
    }

    private static string Tail(string text) => text.Length <= 1500 ? text : text[^1500..];

    [GeneratedRegex(@"SUMMARY:[^\r\n]*")]
    private static partial Regex Summary();
}
