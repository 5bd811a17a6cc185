using System.Globalization;
using Smp.Host.Running;
using Smp.Host.Stress;
using Spectre.Console;

namespace Smp.Host.Commands;

/// <summary>
/// The progress of a stress campaign on stderr, drawn by Spectre.Console: a live bar on a terminal; on anything
/// else Spectre's plain-text fallback, a line after the first seed and as the seeds done pass 25, 50, 75 and 95 %, refreshed by seed count
/// (never by a clock), so a redirected stderr is the same on every run. A last line gives the totals.
/// </summary>
internal static class StressProgress
{
    /// <summary>Runs <paramref name="spec"/>, showing its progress on <paramref name="err"/>.</summary>
    /// <param name="spec">The campaign.</param>
    /// <param name="err">Standard error.</param>
    /// <returns>Every seed's result.</returns>
    public static IReadOnlyList<SeedResult> Run(StressCampaignSpec spec, TextWriter err)
    {
        bool live = StderrConsole.IsTerminal(err);
        var console = StderrConsole.Create(err);
        ulong total = spec.SeedCount;
        long violations = 0;
        var results = console.Progress()
            .AutoRefresh(live)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Describe(0, total, 0), maxValue: Math.Max(1, total));
                return StressRun.Run(spec, (done, all, found) =>
                {
                    violations = found;
                    task.Description = Describe(done, all, found);
                    task.Value = done;
                    if (!live) context.Refresh();
                });
            });
        err.WriteLine(FormattableString.Invariant($"smp stress: {total}/{total} seeds run, {violations} violations."));
        return results;
    }

    private static string Describe(ulong done, ulong total, long violations) =>
        string.Create(CultureInfo.InvariantCulture, $"seeds {done}/{total}, {violations} violations");
}
