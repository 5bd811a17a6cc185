using System.Text.Json;
using Smp.Host.Guest;
using Smp.Host.Stress;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Stress;

/// <summary>The report as a set of seeds: taken once, merged without overlap, resumed from a journal cut by a kill.</summary>
public sealed class StressReportTests(StressCampaignFixture fixture) : IClassFixture<StressCampaignFixture>, IDisposable
{
    private static readonly StressCampaignSpec Spec = new(HandlerVariant.Naive, 2, "all", 1, 6);
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private byte[] Record(ulong first, ulong last) =>
        RangeRun.Run(fixture.Naive, "all", new SeedSpan(first, last, 1), CancellationToken.None).Record!;

    private static byte[] Json(StressReport report)
    {
        var stream = new MemoryStream();
        report.WriteJson(stream);
        return stream.ToArray();
    }

    private string Write(string name, StressReport report)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, Json(report));
        return path;
    }

    [Fact]
    public void A_range_whose_seeds_are_already_in_the_report_is_dropped_whole()
    {
        using var report = StressReport.Begin(Spec, null);
        Assert.True(report.Accept(Record(1, 3)));
        long violations = report.ViolationCount;

        Assert.False(report.Accept(Record(1, 3)));   // the same range again (a backup copy, a late result)
        Assert.False(report.Accept(Record(3, 4)));   // a range sharing seed 3
        Assert.Equal(3UL, report.CompletedSeeds);
        Assert.Equal(3L, report.Totals.Seeds);
        Assert.Equal(violations, report.ViolationCount);
        Assert.True(report.Partial);
        Assert.Equal([new SeedSpan(1, 3, 1)], report.Completed);
    }

    [Fact]
    public void Ranges_taken_in_any_order_give_the_report_of_one_pass_byte_for_byte()
    {
        using var inOrder = StressReport.Of(Spec, Spec.Seeds().Select(s => fixture.Naive.Run(s, "all")).ToList());
        using var shuffled = StressReport.Begin(Spec, null);
        foreach (var (first, last) in new[] { (5UL, 6UL), (1UL, 1UL), (3UL, 4UL), (2UL, 2UL) }) Assert.True(shuffled.Accept(Record(first, last)));

        Assert.False(shuffled.Partial);
        Assert.True(inOrder.ViolationCount > 0);
        Assert.Equal(Json(inOrder), Json(shuffled));
    }

    [Fact]
    public void Merge_refuses_the_same_report_twice_in_one_sentence()
    {
        using var whole = StressReport.Of(Spec, Spec.Seeds().Select(s => fixture.Naive.Run(s, "all")).ToList());
        string a = Write("a.json", whole);

        var r = Cli.Run("stress", "--merge", a, a);

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal(
            $"smp stress: cannot merge the reports: '{a}' covers seeds 1..6 and '{a}' covers 1..6: a seed may be merged only once " +
            "(the same report twice, or overlapping shards or ranges).\n", r.Err);
        Assert.Empty(r.Out);
    }

    [Fact]
    public void Merge_refuses_overlapping_shards()
    {
        using var shard = StressReport.Of(Spec with { ShardIndex = 2, ShardCount = 2 }, [fixture.Naive.Run(2, "all"), fixture.Naive.Run(4, "all")]);
        using var other = StressReport.Of(Spec with { ShardIndex = 1, ShardCount = 3 }, [fixture.Naive.Run(1, "all"), fixture.Naive.Run(4, "all")]);
        string a = Write("shard-2-of-2.json", shard), b = Write("shard-1-of-3.json", other);

        var r = Cli.Run("stress", "--merge", a, b);

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Single(r.ErrLines);
        Assert.Contains($"'{b}' covers seeds 1..4/3 and '{a}' covers 2..4/2", r.Err);
    }

    [Fact]
    public void Partial_reports_of_one_campaign_merge_into_the_report_of_the_whole()
    {
        using var whole = StressReport.Of(Spec, Spec.Seeds().Select(s => fixture.Naive.Run(s, "all")).ToList());
        using var first = StressReport.Begin(Spec, null);
        using var rest = StressReport.Begin(Spec, null);
        first.Accept(Record(1, 2));
        rest.Accept(Record(3, 3));
        rest.Accept(Record(5, 6));
        string a = Write("first.json", first), b = Write("rest.json", rest), merged = Path.Combine(_dir, "merged.json"), gap = Path.Combine(_dir, "gap.json");

        var partial = Cli.Run("stress", "--merge", b, "--report", gap);
        Assert.Equal(ExitCodes.StressViolations, partial.ExitCode);
        Assert.Contains("partial: 3 seeds completed, in 3..3, 5..6; continue with --resume\n", partial.Out);
        Assert.True(JsonDocument.Parse(File.ReadAllBytes(gap)).RootElement.GetProperty("partial").GetBoolean());

        first.Accept(Record(4, 4));
        a = Write("first.json", first);
        var r = Cli.Run("stress", "--merge", b, a, "--report", merged);
        Assert.Equal(ExitCodes.StressViolations, r.ExitCode);
        Assert.Equal(Json(whole), File.ReadAllBytes(merged));
    }

    [Fact]
    public void A_journal_cut_by_a_kill_resumes_without_its_torn_last_line()
    {
        string journal = Path.Combine(_dir, "r.json.journal");
        using (var report = StressReport.Begin(Spec, journal))
        {
            report.Accept(Record(1, 2));
            report.Accept(Record(4, 4));
        }
        var torn = Record(5, 6);
        using (var file = new FileStream(journal, FileMode.Append)) file.Write(torn, 0, torn.Length / 2);

        using var resumed = StressReport.ResumeJournal(journal, journal);
        Assert.Equal(3UL, resumed.CompletedSeeds);
        Assert.Equal([(2UL, 3UL), (4UL, 6UL)], resumed.Remaining().Runs);
        Assert.True(resumed.Accept(Record(3, 3)));
        Assert.True(resumed.Accept(Record(5, 6)));
        Assert.False(resumed.Partial);
        using var whole = StressReport.Of(Spec, Spec.Seeds().Select(s => fixture.Naive.Run(s, "all")).ToList());
        Assert.Equal(Json(whole), Json(resumed));
    }

    [Fact]
    public void A_journal_left_by_a_killed_campaign_is_never_overwritten()
    {
        string report = Path.Combine(_dir, "r.json");
        File.WriteAllText(report + ".journal", "seeds of a killed campaign\n");

        var r = Cli.Run("stress", "--seeds", "1..2", "--report", report);

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal($"smp stress: '{report}.journal' holds the seeds of a campaign that was killed before writing '{report}'; " +
            $"continue it with --resume '{report}', or delete the journal.\n", r.Err);
        Assert.Equal("seeds of a killed campaign\n", File.ReadAllText(report + ".journal"));
    }

    [Fact]
    public void Resume_takes_the_campaign_from_the_report()
    {
        var r = Cli.Run("stress", "--resume", Path.Combine(_dir, "r.json"), "--seeds", "1..5");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal("smp stress: --resume continues the campaign its report names; leave out --seeds.\n", r.Err);
    }
}
