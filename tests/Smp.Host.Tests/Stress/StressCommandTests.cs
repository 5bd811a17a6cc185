using System.Text.Json;

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
    public void A_failing_seed_replays_to_a_byte_identical_report()
    {
        string dir = Directory.CreateTempSubdirectory("smp-stress").FullName;
        try
        {
            string a = Path.Combine(dir, "a.json"), b = Path.Combine(dir, "b.json"), c = Path.Combine(dir, "c.json");
            var first = Smp("stress", "--handlers", "naive", "--seeds", "3..3", "--scenario", "nmi-after-bp-iret", "--report", a);
            var second = Smp("stress", "--handlers", "naive", "--seeds", "3..3", "--scenario", "nmi-after-bp-iret", "--report", b);

            Assert.Equal(ExitCodes.StressViolations, first.ExitCode);
            Assert.Equal(first, second);
            Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
            Assert.Contains("seed 3 nmi-after-bp-iret CPU", first.Out);
            Assert.Contains("BUG: IST stack clobbered", first.Out);
            Assert.Contains("  IstClobber                1", first.Out);

            // The same seed inside a longer campaign reports the same violation, oops included.
            var campaign = Smp("stress", "--handlers", "naive", "--seeds", "1..4", "--scenario", "nmi-after-bp-iret", "--report", c);
            Assert.Equal(ExitCodes.StressViolations, campaign.ExitCode);
            using var one = JsonDocument.Parse(File.ReadAllBytes(a));
            using var four = JsonDocument.Parse(File.ReadAllBytes(c));
            var replayed = one.RootElement.GetProperty("violations")[0];
            var inCampaign = four.RootElement.GetProperty("violations").EnumerateArray().Single(v => v.GetProperty("seed").GetUInt64() == 3);
            Assert.Equal(replayed.GetRawText(), inCampaign.GetRawText());
            Assert.Equal("naive", one.RootElement.GetProperty("campaign").GetProperty("handlers").GetString());
            Assert.Equal("IstClobber", replayed.GetProperty("kind").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Shard_reports_merge_into_the_whole_campaign()
    {
        string dir = Directory.CreateTempSubdirectory("smp-stress").FullName;
        try
        {
            string whole = Path.Combine(dir, "whole.json"), s1 = Path.Combine(dir, "s1.json"), s2 = Path.Combine(dir, "s2.json"), merged = Path.Combine(dir, "m.json");
            var w = Smp("stress", "--handlers", "naive", "--seeds", "1..8", "--report", whole);
            Smp("stress", "--handlers", "naive", "--seeds", "1..8", "--shard", "1/2", "--report", s1);
            Smp("stress", "--handlers", "naive", "--seeds", "1..8", "--shard", "2/2", "--report", s2);
            var m = Smp("stress", "--merge", s1, s2, "--report", merged);

            Assert.Equal(ExitCodes.StressViolations, w.ExitCode);
            Assert.Equal(ExitCodes.StressViolations, m.ExitCode);
            using var a = JsonDocument.Parse(File.ReadAllBytes(whole));
            using var b = JsonDocument.Parse(File.ReadAllBytes(merged));
            Assert.Equal(a.RootElement.GetProperty("totals").GetRawText(), b.RootElement.GetProperty("totals").GetRawText());
            Assert.Equal(a.RootElement.GetProperty("violations").GetRawText(), b.RootElement.GetProperty("violations").GetRawText());
            Assert.Equal(["1/2", "2/2"], b.RootElement.GetProperty("campaign").GetProperty("shards").EnumerateArray().Select(s => s.GetString()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_clean_campaign_exits_zero_with_a_summary_table()
    {
        var (code, stdout, stderr) = Smp("stress", "--handlers", "linux", "--seeds", "1..30");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("smp stress: handlers linux, 2 CPUs, scenario all, seeds 1..30, shard 1/1", stdout);
        Assert.Contains("total                      30           0", stdout);
        Assert.Contains("nestings reached (deliveries by depth):  1: ", stdout);
        Assert.Contains("] 30/30 seeds, 0 violations", stderr);
    }
}
