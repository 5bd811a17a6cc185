using System.Text.Json;
using System.Text.RegularExpressions;
using Smp.Host.Tests.Support;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Cluster;

/// <summary>A coordinator and two workers as separate processes on 127.0.0.1 (ports chosen by the system).</summary>
public sealed partial class ClusterCampaignTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-cluster-").FullName;

    private Task<CliResult>? _alone;

    public void Dispose()
    {
        // The in-process run writes into the directory: let it end (it cannot be cancelled) before deleting.
        try
        {
            _alone?.Wait(Patience);
        }
        catch (AggregateException)
        {
        }
        Directory.Delete(_dir, recursive: true);
    }


    [GeneratedRegex(@"^smp worker: range (\d+)\.\.(\d+) started")]
    private static partial Regex RangeStarted();

    [Fact]
    public void A_worker_killed_mid_range_loses_nothing_and_the_report_equals_the_one_process_report()
    {
        string report = Path.Combine(_dir, "cluster.json"), alone = Path.Combine(_dir, "alone.json");
        // The same seeds in one process, meanwhile (the cluster spends seconds waiting for joins and the failure detector).
        var one = _alone = Task.Run(() => Cli.Run("stress", "--seeds", "0..9999", "--report", alone));
        using var coordinator = SmpProcess.Start(_dir, "stress", "--seeds", "0..9999", "--cluster", "127.0.0.1:0", "--report", report);
        string address = coordinator.JoinAddress(Patience);
        using var doomed = SmpProcess.Start(_dir, "worker", "--join", address);

        var started = RangeStarted().Match(doomed.WaitFor(l => RangeStarted().IsMatch(l), Patience).Line);
        string range = $"{started.Groups[1].Value}..{started.Groups[2].Value}";
        doomed.KillHard();
        var killed = coordinator.Now;
        Assert.DoesNotContain(doomed.Lines, l => l.Line.StartsWith($"smp worker: range {range} done", StringComparison.Ordinal));

        // The coordinator notices and queues the range again, then the split-brain resolver downs the node. The second worker
        // starts only then, so that it cannot finish the campaign (a backup copy of the range included) before the loss is
        // noticed, however fast the machine.
        var unreachable = coordinator.WaitFor(l => l.Contains(" unreachable: range ", StringComparison.Ordinal), Patience);
        Assert.EndsWith($": range {range} back to the queue", unreachable.Line);
        var downed = coordinator.WaitFor(l => Regex.IsMatch(l, @"worker \S+ (downed|removed|quarantined)"), Patience);
        using var survivor = SmpProcess.Start(_dir, "worker", "--join", address);
        var (code, stdout) = coordinator.WaitForExit(Patience);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal((ExitCodes.Ok, ""), survivor.WaitForExit(Patience));
        Assert.Contains(survivor.Lines, l => l.Line.StartsWith($"smp worker: range {started.Groups[1].Value}..", StringComparison.Ordinal)
            && l.Line.Contains(" started", StringComparison.Ordinal));
        output.WriteLine($"killed at {killed.TotalSeconds:F2} s; unreachable and re-queued {(unreachable.At - killed).TotalSeconds:F2} s later; " +
            $"downed {(downed.At - killed).TotalSeconds:F2} s later");
        foreach (var (_, line) in coordinator.Lines) output.WriteLine(line);

        using (var json = JsonDocument.Parse(File.ReadAllBytes(report)))
        {
            var root = json.RootElement;
            Assert.False(root.GetProperty("partial").GetBoolean());
            Assert.Equal(10_000, root.GetProperty("totals").GetProperty("seeds").GetInt64());
            var completed = Assert.Single(root.GetProperty("completed").EnumerateArray());
            Assert.Equal((0UL, 9999UL, 1UL), (completed.GetProperty("first").GetUInt64(), completed.GetProperty("last").GetUInt64(), completed.GetProperty("step").GetUInt64()));
        }

        // The same report as one process, byte for byte (it has no wall-clock field), and the same stdout.
        var (oneCode, oneOut, _) = one.GetAwaiter().GetResult();
        Assert.Equal(ExitCodes.Ok, oneCode);
        Assert.Equal(File.ReadAllBytes(alone), File.ReadAllBytes(report));
        Assert.Equal(oneOut, stdout);
    }
}
