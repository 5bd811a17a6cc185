using System.Text.Json;
using Smp.Host.Commands;
using Smp.Host.Guest;
using Smp.Host.Stress;

namespace Smp.Host.Tests.Stress;

/// <summary>One booted naive and one booted Linux campaign (2 CPUs), shared by the campaign tests.</summary>
public sealed class StressCampaignFixture : IDisposable
{
    internal StressCampaign Naive { get; } = new(HandlerVariant.Naive, 2);
    internal StressCampaign Linux { get; } = new(HandlerVariant.Linux, 2);

    public void Dispose()
    {
        Naive.Dispose();
        Linux.Dispose();
    }
}

public sealed class StressCampaignTests(StressCampaignFixture fixture) : IClassFixture<StressCampaignFixture>
{
    private static List<SeedResult> RunSeeds(StressCampaign campaign, string scenario, ulong first, ulong last)
    {
        var results = new List<SeedResult>();
        for (ulong s = first; s <= last; s++) results.Add(campaign.Run(s, scenario));
        return results;
    }

    [Fact]
    public void Naive_handlers_clobber_the_nmi_ist_frame_when_an_nmi_lands_in_the_iret_of_the_kprobe_bp()
    {
        var results = RunSeeds(fixture.Naive, "nmi-after-bp-iret", 1, 20);

        foreach (var r in results)
        {
            var v = r.Violations[0];
            Assert.Equal(StressViolationKind.IstClobber, v.Kind);
            Assert.Equal("NMI on IST2 over live NMI frame", v.Details);
            Assert.Equal(2, v.Vector);
            Assert.Equal(2, v.Ist);
            // Both NMI frames: the first (clobbered, it interrupted cpu_idle) and the one just pushed over it
            // (it interrupted nmi_handle right after the kprobe's INT3).
            var frames = v.Oops.Split('\n').Where(l => l.StartsWith(" NMI IST2 <NMI> frame ", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, frames.Count);
            Assert.Contains("RIP cpu_idle+", frames[0]);
            Assert.EndsWith("CLOBBERED", frames[0]);
            Assert.Contains("RIP nmi_handle+0x5/", frames[1]);
            Assert.StartsWith("BUG: IST stack clobbered: NMI on IST2 over live NMI frame\n", v.Oops);
            Assert.Contains("RIP: 0010:nmi_handle+0x5/", v.Oops);
            Assert.Contains("Call Trace:\n <NMI>\n do_nmi+", v.Oops);
            Assert.Contains("\n asm_exc_nmi+", v.Oops);
            Assert.Contains("<-- trapping instruction", v.Oops);
        }
    }

    [Fact]
    public void Linux_handlers_survive_the_same_seeds_and_every_scenario()
    {
        Assert.All(RunSeeds(fixture.Linux, "nmi-after-bp-iret", 1, 20), r => Assert.Empty(r.Violations));
        var all = RunSeeds(fixture.Linux, "all", 1, 200);
        Assert.All(all, r => Assert.Empty(r.Violations));
        Assert.All(all, r => Assert.True(r.Finished));
        Assert.Equal(StressScenarios.Names.Order(), all.Select(r => r.Scenario).Distinct().Order());
        // The nested NMI really happened (NMI depth 2 or more was reached) and the guest counted it.
        Assert.Contains(all, r => r.Scenario == "nmi-after-bp-iret" && r.DeliveriesByDepth[2] > 0);
    }

    [Fact]
    public void Linux_triple_nested_db_lands_in_the_guard_hole_and_ends_in_a_clean_double_fault()
    {
        foreach (var r in RunSeeds(fixture.Linux, "db-nesting", 1, 6))
        {
            Assert.Empty(r.Violations);
            var df = Assert.Single(r.Expected, e => e.Kind == StressViolationKind.DoubleFault);
            Assert.DoesNotContain(r.Expected, e => e.Kind == StressViolationKind.Shutdown);
            Assert.Equal(8, df.Vector);
            Assert.Equal(1, df.Ist);
            Assert.StartsWith("BUG: double fault: double fault (#DF) on IST1", df.Oops);
            Assert.Contains(" <#DF>\n handle_stack_overflow+", df.Oops);
            Assert.Contains(" <DB1>\n", df.Oops);
            Assert.Contains(" #DB IST3 <DB1> frame ", df.Oops);
            Assert.Contains("PANIC: double fault, error_code: 0x0", r.Console);
            Assert.Contains("Kernel panic - not syncing: Machine halted.", r.Console);
        }
    }

    [Fact]
    public void A_seed_gives_the_same_result_whatever_ran_before_it()
    {
        var first = fixture.Linux.Run(5, "all");
        RunSeeds(fixture.Linux, "db-nesting", 1, 3);   // double faults and panics in between
        RunSeeds(fixture.Linux, "all", 100, 110);
        var again = fixture.Linux.Run(5, "all");
        AssertSame(first, again);

        var naive = fixture.Naive.Run(13, "all");
        RunSeeds(fixture.Naive, "all", 1, 12);
        AssertSame(naive, fixture.Naive.Run(13, "all"));
        Assert.True(fixture.Naive.LastRestoredPages < 64, $"restore copied {fixture.Naive.LastRestoredPages} pages");
    }

    [Fact]
    public void A_seed_reports_the_same_json_alone_and_inside_a_longer_campaign()
    {
        var spec = new StressCampaignSpec(HandlerVariant.Naive, 2, "all", 3, 3);
        var alone = StressReport.Of(spec, [fixture.Naive.Run(3, "all")]);
        var longer = StressReport.Of(spec with { First = 1, Last = 6 }, RunSeeds(fixture.Naive, "all", 1, 6));

        using var aloneJson = JsonDocument.Parse(Json(alone));
        using var longerJson = JsonDocument.Parse(Json(longer));
        var aloneViolations = aloneJson.RootElement.GetProperty("violations").EnumerateArray().Select(v => v.GetRawText()).ToList();
        Assert.NotEmpty(aloneViolations);
        var inCampaign = longerJson.RootElement.GetProperty("violations").EnumerateArray()
            .Where(v => v.GetProperty("seed").GetUInt64() == 3).Select(v => v.GetRawText());
        Assert.Equal(aloneViolations, inCampaign);
    }

    private static (int ExitCode, string Out, string Err) Smp(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = SmpCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static byte[] Json(StressReport report)
    {
        var stream = new MemoryStream();
        report.WriteJson(stream);
        return stream.ToArray();
    }

    [Fact]
    public void A_failing_seed_replays_to_a_byte_identical_report()
    {
        string dir = Directory.CreateTempSubdirectory("smp-stress").FullName;
        try
        {
            string file = Path.Combine(dir, "replay.json");
            var (code, stdout, stderr) = Smp("stress", "--handlers", "naive", "--seeds", "3..3", "--scenario", "nmi-after-bp-iret", "--report", file);

            Assert.Equal(ExitCodes.StressViolations, code);
            Assert.Contains("seed 3 nmi-after-bp-iret CPU", stdout);
            Assert.Contains("BUG: IST stack clobbered", stdout);
            Assert.Contains("  IstClobber                1", stdout);
            Assert.Equal("smp stress: 1/1 seeds run, 1 violations.\n", stderr.ReplaceLineEndings("\n"));
            // The fresh process's boot and the shared campaign (which ran other seeds before) give the same bytes.
            RunSeeds(fixture.Naive, "all", 20, 25);
            var spec = new StressCampaignSpec(HandlerVariant.Naive, 2, "nmi-after-bp-iret", 3, 3);
            var results = new[] { fixture.Naive.Run(3, "nmi-after-bp-iret") };
            var report = StressReport.Of(spec, results);
            Assert.Equal(File.ReadAllBytes(file), Json(report));
            var rendered = new StringWriter();
            report.WriteFindings(rendered, 3);
            rendered.Write(report.Summary());
            Assert.Equal(stdout, rendered.ToString());
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
            var spec = new StressCampaignSpec(HandlerVariant.Naive, 2, "all", 1, 9);
            string s1 = Path.Combine(dir, "s1.json"), s2 = Path.Combine(dir, "s2.json"), merged = Path.Combine(dir, "m.json");
            var whole = StressReport.Of(spec, spec.Seeds().Select(s => fixture.Naive.Run(s, "all")).ToList());
            foreach (var (index, file) in new[] { (1, s1), (2, s2) })
            {
                var part = spec with { ShardIndex = index, ShardCount = 2 };
                File.WriteAllBytes(file, Json(StressReport.Of(part, part.Seeds().Select(s => fixture.Naive.Run(s, "all")).ToList())));
            }
            var (code, stdout, _) = Smp("stress", "--merge", s2, s1, "--report", merged);

            Assert.Equal(ExitCodes.StressViolations, code);
            Assert.Contains("seeds 1..9, shard 1/2,2/2", stdout);
            using var a = JsonDocument.Parse(Json(whole));
            using var b = JsonDocument.Parse(File.ReadAllBytes(merged));
            Assert.True(whole.ViolationCount > 0);
            Assert.Equal(a.RootElement.GetProperty("totals").GetRawText(), b.RootElement.GetProperty("totals").GetRawText());
            Assert.Equal(a.RootElement.GetProperty("violations").GetRawText(), b.RootElement.GetProperty("violations").GetRawText());
            Assert.Equal(["1/2", "2/2"], b.RootElement.GetProperty("campaign").GetProperty("shards").EnumerateArray().Select(s => s.GetString()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertSame(SeedResult a, SeedResult b)
    {
        Assert.Equal(a.Plan, b.Plan);
        Assert.Equal(a.Instructions, b.Instructions);
        Assert.Equal(a.DeliveriesByDepth, b.DeliveriesByDepth);
        Assert.Equal(a.Console, b.Console);
        Assert.Equal(a.Violations, b.Violations);
        Assert.Equal(a.Expected, b.Expected);
    }

    [Fact]
    public void Plans_follow_the_seed_only()
    {
        var t = fixture.Linux.Targets;
        Assert.Equal(StressScenarios.Plan("all", 42, 2, t).Describe(), StressScenarios.Plan("all", 42, 2, t).Describe());
        var plans = Enumerable.Range(1, 50).Select(s => StressScenarios.Plan("all", (ulong)s, 2, t).Describe()).Distinct().Count();
        Assert.True(plans > 40, $"only {plans} distinct plans");
    }

    [Fact]
    public void Shards_partition_the_seed_range()
    {
        var all = new List<ulong>();
        for (int i = 1; i <= 4; i++) all.AddRange(new StressCampaignSpec(HandlerVariant.Linux, 2, "all", 10, 32, i, 4).Seeds());
        Assert.Equal(Enumerable.Range(10, 23).Select(s => (ulong)s), all.Order());
        Assert.Equal(6UL, new StressCampaignSpec(HandlerVariant.Linux, 2, "all", 10, 32, 1, 4).SeedCount);
        Assert.Equal(5UL, new StressCampaignSpec(HandlerVariant.Linux, 2, "all", 10, 32, 4, 4).SeedCount);
        Assert.Equal([7UL], new StressCampaignSpec(HandlerVariant.Linux, 2, "all", 7, 7).Seeds());
    }
}
