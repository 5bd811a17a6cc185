using System.Text.Json;
using System.Text.RegularExpressions;
using Smp.Host.Tests.Support;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Stress;

/// <summary>The report of seeds 0..2999 run without interruption, in process, that interrupted campaigns must end up equal to.</summary>
public sealed class UninterruptedReport : IDisposable
{
    public const string Seeds = "0..2999";

    public UninterruptedReport()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("smp-uninterrupted-").FullName;
        string path = Path.Combine(Directory, "whole.json");
        var r = Cli.Run("stress", "--seeds", Seeds, "--report", path);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        Bytes = File.ReadAllBytes(path);
        Out = r.Out;
    }

    public string Directory { get; }

    public byte[] Bytes { get; }

    public string Out { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>Nothing completed is lost: SIGINT leaves a partial report and SIGKILL a journal, and --resume completes either.</summary>
public sealed partial class InterruptTests(UninterruptedReport whole, ITestOutputHelper output) : IClassFixture<UninterruptedReport>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-interrupt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"^seeds (\d+)/3000")]
    private static partial Regex Progress();

    // Starts the campaign and waits until at least `seeds` seeds ran.
    private SmpProcess Start(string report, ulong seeds)
    {
        var p = SmpProcess.Start(_dir, "stress", "--seeds", UninterruptedReport.Seeds, "--report", report);
        p.WaitFor(l => Progress().Match(l) is { Success: true } m && ulong.Parse(m.Groups[1].Value) >= seeds, TimeSpan.FromMinutes(2));
        return p;
    }

    [Fact]
    public void SIGINT_leaves_a_partial_report_that_resume_completes_into_the_uninterrupted_one()
    {
        string report = Path.Combine(_dir, "r.json");
        using var p = Start(report, 200);
        p.Signal(2);
        var signalled = p.Now;
        var (code, stdout) = p.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.Equal(ExitCodes.Interrupted, code);
        var stopped = p.Lines.Single(l => l.Line.StartsWith("smp stress: stopped by SIGINT after ", StringComparison.Ordinal));
        output.WriteLine($"stopped {(stopped.At - signalled).TotalMilliseconds:F0} ms after SIGINT: {stopped.Line}");
        Assert.EndsWith($"the partial report lists the ranges completed; continue with --resume '{report}'.", stopped.Line);
        Assert.False(File.Exists(report + ".journal"));
        long seeds = PartialSeeds(report);
        Assert.InRange(seeds, 200, 2999);
        Assert.Contains($"partial: {seeds} seeds completed, in 0..{seeds - 1}; continue with --resume\n", stdout);
        ResumesToTheWhole(report);
    }

    // The seeds of a partial report, checked to be one range from the first seed on.
    private static long PartialSeeds(string report)
    {
        using var partial = JsonDocument.Parse(File.ReadAllBytes(report));
        var root = partial.RootElement;
        Assert.True(root.GetProperty("partial").GetBoolean());
        long seeds = root.GetProperty("totals").GetProperty("seeds").GetInt64();
        var completed = Assert.Single(root.GetProperty("completed").EnumerateArray());
        Assert.Equal((0UL, (ulong)seeds - 1), (completed.GetProperty("first").GetUInt64(), completed.GetProperty("last").GetUInt64()));
        return seeds;
    }

    // --resume in process completes the report into the uninterrupted one.
    private void ResumesToTheWhole(string report)
    {
        var resumed = Cli.Run("stress", "--resume", report);
        Assert.Equal(ExitCodes.Ok, resumed.ExitCode);
        Assert.Equal(whole.Bytes, File.ReadAllBytes(report));
        Assert.Equal(whole.Out, resumed.Out);
    }

    [Fact]
    public void SIGINT_to_a_cluster_coordinator_writes_the_partial_report_at_once_and_resume_completes_it()
    {
        string report = Path.Combine(_dir, "c.json");
        var patience = TimeSpan.FromMinutes(2);
        using var coordinator = SmpProcess.Start(_dir, "stress", "--seeds", UninterruptedReport.Seeds, "--cluster", "127.0.0.1:0", "--report", report);
        string address = coordinator.JoinAddress(patience);
        using var worker = SmpProcess.Start(_dir, "worker", "--join", address);
        worker.WaitFor(l => l.Contains(" done on thread ", StringComparison.Ordinal), patience);
        coordinator.Signal(2);

        // The seeds of the worker's cut range count.
        var stopped = coordinator.WaitFor(l => l.StartsWith("smp stress: stopped by SIGINT after ", StringComparison.Ordinal), patience);
        Assert.Equal(ExitCodes.Interrupted, coordinator.WaitForExit(patience).Code);
        Assert.Equal(ExitCodes.Interrupted, worker.WaitForExit(patience).Code);
        Assert.Contains($" after {PartialSeeds(report)}/3000 seeds,", stopped.Line);
        ResumesToTheWhole(report);
    }

    [Fact]
    public void A_campaign_killed_with_SIGKILL_resumes_from_its_journal()
    {
        string report = Path.Combine(_dir, "k.json");
        using var p = Start(report, 1500);   // the first range (750 seeds) is journaled
        p.KillHard();
        p.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.False(File.Exists(report));
        Assert.True(File.Exists(report + ".journal"));
        ResumesToTheWhole(report);
        Assert.False(File.Exists(report + ".journal"));
    }
}
