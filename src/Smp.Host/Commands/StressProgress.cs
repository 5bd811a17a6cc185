using System.Globalization;
using Smp.Host.Running;
using Smp.Host.Stress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Smp.Host.Commands;

/// <summary>
/// The progress of a stress campaign on stderr, drawn by Spectre.Console: a live bar on a terminal (with the rate in seeds
/// per second, and the workers of a cluster campaign); on anything else Spectre's plain-text fallback, a line after the
/// first seed and as the seeds done pass 25, 50, 75 and 95 %, refreshed by seed count (never by a clock), so a redirected
/// stderr of a one-thread campaign is the same on every run. A last line gives the totals.
/// </summary>
internal static class StressProgress
{
    /// <summary>What a campaign tells the progress: seeds done, violations found, and the workers of a cluster (−1 in one process).</summary>
    public delegate void Sink(ulong done, long violations, int workers);

    /// <summary>Runs <paramref name="campaign"/> (which reports to the sink it is given), showing its progress on <paramref name="err"/>.</summary>
    /// <param name="report">The campaign's report (its seeds done so far count from the start).</param>
    /// <param name="err">Standard error.</param>
    /// <param name="campaign">Runs the campaign, given the sink and a way to write a line on stderr (above a live bar); returns true when every seed ran.</param>
    /// <returns>What <paramref name="campaign"/> returned.</returns>
    public static bool Run(StressReport report, TextWriter err, Func<Sink, Action<string>, bool> campaign)
    {
        bool live = StderrConsole.IsTerminal(err);
        var console = StderrConsole.Create(err);
        ulong total = report.Spec!.SeedCount, done = report.CompletedSeeds;
        long violations = report.ViolationCount;
        var gate = new Lock();
        var columns = new List<ProgressColumn> { new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn() };
        if (live) columns.Add(new RateColumn());
        bool complete = console.Progress()
            .AutoRefresh(live)
            .Columns([.. columns])
            .Start(context =>
            {
                var task = context.AddTask(Describe(done, total, violations, -1), maxValue: Math.Max(1, total));
                task.Value = done;
                return campaign((d, found, workers) =>
                {
                    lock (gate)
                    {
                        done = d;
                        violations = found;
                        task.Description = Describe(d, total, found, workers);
                        task.Value = d;
                        if (!live) context.Refresh();
                    }
                }, line =>
                {
                    lock (gate) console.WriteLine(line, Style.Plain);
                });
            });
        if (complete) err.WriteLine(FormattableString.Invariant($"smp stress: {total}/{total} seeds run, {violations} violations."));
        return complete;
    }

    private static string Describe(ulong done, ulong total, long violations, int workers) => workers < 0
        ? string.Create(CultureInfo.InvariantCulture, $"seeds {done}/{total}, {violations} violations")
        : string.Create(CultureInfo.InvariantCulture, $"seeds {done}/{total}, {violations} violations, {workers} workers");

    /// <summary>Seeds per second, from Spectre's own speed estimate of the task (live display only: it depends on the clock).</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:F0} seeds/s") : "");
    }
}
