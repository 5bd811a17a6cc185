using Smp.Host;
using CliContext = Smp.Host.Commands.CliContext;

namespace Smp.Host.Tests;

public sealed class CliTests
{
    private static (int ExitCode, string Out, string Err) Smp(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = SmpCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertOneSentenceWithoutStackTrace(string err)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Exception", err);
    }

    [Fact]
    public void Help_lists_every_command()
    {
        var (code, stdout, _) = Smp("--help");

        Assert.Equal(ExitCodes.Ok, code);
        foreach (var command in new[] { "boot", "run", "image", "stress", "bench" })
        {
            Assert.Contains($"  {command} ", stdout);
        }
    }

    [Fact]
    public void Version_prints_the_version()
    {
        var (code, stdout, _) = Smp("--version");

        Assert.Equal(ExitCodes.Ok, code);
        // In-process the version is the test host's; the real smp prints 0.1.0 (see the CI smoke run).
        Assert.False(string.IsNullOrWhiteSpace(stdout));
    }

    [Fact]
    public void Boot_help_documents_the_options_of_the_design()
    {
        var (code, stdout, _) = Smp("boot", "--help");

        Assert.Equal(ExitCodes.Ok, code);
        foreach (var option in new[] { "--cpus", "--memory", "--seed", "--trace", "--otlp", "--chrome-trace", "--timeline" })
        {
            Assert.Contains(option, stdout);
        }
    }

    [Fact]
    public void An_unknown_subcommand_is_a_usage_error_in_one_sentence()
    {
        var (code, stdout, stderr) = Smp("frobnicate");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, stdout);
        AssertOneSentenceWithoutStackTrace(stderr);
        Assert.Contains("'frobnicate'", stderr);
    }

    [Fact]
    public void An_unknown_option_is_a_usage_error()
    {
        var (code, _, stderr) = Smp("boot", "--bogus");

        Assert.Equal(ExitCodes.Usage, code);
        AssertOneSentenceWithoutStackTrace(stderr);
        Assert.Contains("--bogus", stderr);
    }

    [Theory]
    [InlineData("boot", "--cpus", "zero")]
    [InlineData("boot", "--cpus", "0")]
    [InlineData("boot", "--cpus", "256")]
    [InlineData("boot", "--cpus", "65")]
    [InlineData("boot", "--parallel", "--trace", "t.json")]
    [InlineData("boot", "--memory", "-1")]
    [InlineData("boot", "--otlp", "not a url")]
    [InlineData("run")]
    [InlineData("run", "--disk", "a.img", "--max-instructions", "lots")]
    [InlineData("image")]
    [InlineData("stress", "--handlers", "clever")]
    [InlineData("stress", "--seeds", "9..1")]
    [InlineData("stress", "--shard", "3/2")]
    [InlineData("stress", "--scenario", "everything")]
    [InlineData("stress", "--cpus", "65")]
    [InlineData("bench", "gpu")]
    [InlineData("bench", "linux", "--kernel", "vmlinuz", "--rounds", "0")]
    [InlineData("bench", "linux", "--kernel", "vmlinuz", "--rounds", "11")]
    public void Bad_values_are_usage_errors_in_one_sentence(params string[] args)
    {
        var (code, _, stderr) = Smp(args);

        Assert.Equal(ExitCodes.Usage, code);
        AssertOneSentenceWithoutStackTrace(stderr);
    }

    [Fact]
    public void An_unexpected_exception_becomes_one_sentence_and_the_internal_error_code()
    {
        var stderr = new StringWriter();
        var context = new CliContext(new StringWriter(), stderr);

        var code = context.Guard("smp test", () => throw new InvalidOperationException("surprise"));

        Assert.Equal(ExitCodes.InternalError, code);
        Assert.Contains("smp test: internal error", stderr.ToString());
        Assert.Contains("surprise", stderr.ToString());
        if (Environment.GetEnvironmentVariable(CliContext.DebugVariable) != "1")
        {
            Assert.DoesNotContain("   at ", stderr.ToString());
        }
    }
}
