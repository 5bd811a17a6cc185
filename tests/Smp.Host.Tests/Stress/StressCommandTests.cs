using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Stress;

public sealed class StressCommandTests
{
    [Fact]
    public void A_clean_campaign_exits_zero_with_the_summary_on_stdout_and_the_progress_on_stderr()
    {
        var (code, stdout, stderr) = Cli.Run("stress", "--handlers", "linux", "--seeds", "1..10");

        Assert.Equal(ExitCodes.Ok, code);
        // The product (findings and summary) on stdout, the progress on stderr: README, "Output streams".
        Assert.StartsWith("smp stress: handlers linux, 2 CPUs, scenario all, seeds 1..10, shard 1/1\n", stdout);
        Assert.Contains("total                      10           0", stdout);
        Assert.Contains("nestings reached (deliveries by depth):  1: ", stdout);
        Assert.DoesNotContain("seeds run", stdout);
        // Spectre.Console's plain-text progress, refreshed by seed count: the same lines on every run.
        Assert.Equal(
            "seeds 1/10, 0 violations: 10%\nseeds 3/10, 0 violations: 30%\nseeds 6/10, 0 violations: 60%\nseeds 8/10, 0 violations: 80%\n" +
            "smp stress: 10/10 seeds run, 0 violations.\n",
            stderr.ReplaceLineEndings("\n"));
    }
}
