
namespace Smp.Host.Tests.Stress;

public sealed class StressCommandTests
{
    private static (int ExitCode, string Out, string Err) Smp(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = SmpCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void A_clean_campaign_exits_zero_with_a_summary_table()
    {
        var (code, stdout, stderr) = Smp("stress", "--handlers", "linux", "--seeds", "1..10");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("smp stress: handlers linux, 2 CPUs, scenario all, seeds 1..10, shard 1/1", stdout);
        Assert.Contains("total                      10           0", stdout);
        Assert.Contains("nestings reached (deliveries by depth):  1: ", stdout);
        Assert.Contains("] 10/10 seeds, 0 violations", stderr);
    }
}
