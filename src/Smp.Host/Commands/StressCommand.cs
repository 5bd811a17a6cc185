using System.CommandLine;
using System.Text.Json;
using Smp.Host.Cluster;
using Smp.Host.Files;
using Smp.Host.Guest;
using Smp.Host.Stress;

namespace Smp.Host.Commands;

/// <summary><c>smp stress</c>: seeded NMI/#DB nesting campaigns with an IST monitor, in one process or over a cluster.</summary>
internal static partial class StressCommand
{
    // Full oopses printed on stdout (all of them are in the JSON report).
    private const int OopsesPrinted = 3;

    /// <summary>The largest report <c>--merge</c> and <c>--resume</c> read (every violation carries its oops and guest console).</summary>
    public const long MaxReportBytes = 1L << 30;

    /// <summary>The most runner threads <c>--threads</c> takes (each boots its own 16 MiB machine).</summary>
    public const int MaxThreads = 256;

    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var o = new Options();
        var command = new Command(
            "stress",
            "Run seeded scenarios injecting NMIs and debug exceptions (TF, DR0-DR3) at random or chosen points; " +
            "report IST stack clobbering and lost or doubled NMIs with an oops, replayable from its seed " +
            $"(exit code {ExitCodes.StressViolations} when violations are found). The findings and the summary go to stdout, " +
            $"the progress to stderr. SIGINT or SIGTERM stops a campaign within a second: the report of the seeds completed is written " +
            $"(marked partial) and the exit code is {ExitCodes.Interrupted}; --resume continues it.")
        {
            o.Cpus, o.Handlers, o.Seeds, o.Shard, o.Scenario, o.Report, o.Merge, o.Threads, o.Resume, o.Cluster,
        };
        command.SetAction(parse => context.Guard("smp stress", () => Execute(context, parse, o)));
        return command;
    }

    private static int Execute(CliContext context, ParseResult parse, Options o)
    {
        var err = context.Err;
        var resume = parse.GetValue(o.Resume);
        var reportFile = parse.GetValue(o.Report) ?? resume;
        if (reportFile is not null && OutputFile.Problem(reportFile.FullName) is { } problem)
        {
            err.WriteLine($"smp stress: --report '{reportFile.FullName}' {problem}.");
            return ExitCodes.Usage;
        }

        if (parse.GetValue(o.Merge) is { Length: > 0 } files) return Merge(context, files, reportFile);
        if (resume is not null && o.CampaignOptions.FirstOrDefault(opt => parse.GetResult(opt) is { Implicit: false }) is { } given)
        {
            err.WriteLine($"smp stress: --resume continues the campaign its report names; leave out {given.Name}.");
            return ExitCodes.Usage;
        }

        var cluster = parse.GetValue(o.Cluster);
        if (cluster is not null && parse.GetResult(o.Threads) is { Implicit: false })
        {
            err.WriteLine("smp stress: with --cluster the workers run the seeds (smp worker --threads N); leave out --threads.");
            return ExitCodes.Usage;
        }

        // The journal beside a report in a regular file: what a killed campaign resumes from.
        string? journalPath = reportFile is not null && IsPlainFile(reportFile.FullName) ? StressJournal.PathFor(reportFile.FullName) : null;
        if (journalPath is not null && OutputFile.Problem(journalPath) is { } journalProblem)
        {
            err.WriteLine($"smp stress: the journal '{journalPath}' {journalProblem}.");
            return ExitCodes.Usage;
        }

        // Listening first, so that an address that cannot be bound leaves no journal behind; the coordinator leaves the
        // cluster when disposed, after the report is written.
        ClusterCoordinator? coordinator;
        try
        {
            coordinator = cluster is null ? null : new ClusterCoordinator(cluster);
        }
        catch (ClusterBindException ex)
        {
            err.WriteLine($"smp stress: --cluster {ex.Message}.");
            return ExitCodes.Usage;
        }
        using var leave = coordinator;

        StressReport? report;
        if (resume is not null)
        {
            report = Resume(context, resume, journalPath);
        }
        else
        {
            if (journalPath is not null && File.Exists(journalPath))
            {
                err.WriteLine($"smp stress: '{journalPath}' holds the seeds of a campaign that was killed before writing '{reportFile!.FullName}'; " +
                    $"continue it with --resume '{reportFile.FullName}', or delete the journal.");
                return ExitCodes.Usage;
            }

            var range = parse.GetValue(o.Seeds)!;
            var part = parse.GetValue(o.Shard)!;
            var spec = new StressCampaignSpec(parse.GetValue(o.Handlers) == "naive" ? HandlerVariant.Naive : HandlerVariant.Linux, parse.GetValue(o.Cpus),
                parse.GetValue(o.Scenario)!, range.First, range.Last, part.Index, part.Count);
            report = StressReport.Begin(spec, journalPath);
        }

        if (report is null) return ExitCodes.Usage;
        using (report)
        {
            using var signals = StopSignals.Listen(err);
            bool complete = StressProgress.Run(report, err, (sink, log) => coordinator is null
                ? LocalCampaign.Run(report, parse.GetValue(o.Threads), signals.Token, (done, found) => sink(done, found, -1))
                : coordinator.Run(report, log, sink, signals.Token));
            var output = new StringWriter { NewLine = "\n" };
            report.WriteFindings(output, OopsesPrinted);
            output.Write(report.Summary());
            context.Out.Write(output.ToString());
            if (complete) return Finish(context, report, reportFile);

            err.WriteLine(FormattableString.Invariant(
                $"smp stress: stopped by {signals.Received?.ToString() ?? "request"} after {report.CompletedSeeds}/{report.Spec!.SeedCount} seeds, ") +
                (reportFile is null
                    ? "nothing to resume from (no --report)."
                    : $"the partial report lists the ranges completed; continue with --resume '{reportFile.FullName}'."));
            int written = Finish(context, report, reportFile);
            return written is ExitCodes.Ok or ExitCodes.StressViolations ? ExitCodes.Interrupted : written;
        }
    }

    // The report to continue: its journal when a killed campaign left one, else the (partial) report itself.
    private static StressReport? Resume(CliContext context, FileInfo resume, string? journalPath)
    {
        var err = context.Err;
        string full = resume.FullName, journal = StressJournal.PathFor(full);
        try
        {
            if (File.Exists(journal)) return StressReport.ResumeJournal(journal, journalPath);
            if (InputFile.ReadAllBytes(err, "smp stress", "--resume", full, MaxReportBytes) is not { } bytes) return null;
            using var doc = JsonDocument.Parse(bytes);
            return StressReport.ResumeReport(doc, full, journalPath);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            err.WriteLine($"smp stress: --resume '{full}' cannot be continued: {ex.Message.TrimEnd('.')}.");
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            err.WriteLine($"smp stress: --resume '{full}' cannot be continued: {FileError.Reason(ex, journal)}.");
            return null;
        }
    }

    private static bool IsPlainFile(string path) =>
        Smp.Devices.Platform.Firmware.FileKinds.Of(path, out _) is Smp.Devices.Platform.Firmware.FileKind.Regular or Smp.Devices.Platform.Firmware.FileKind.Missing;

    private static int Merge(CliContext context, FileInfo[] files, FileInfo? reportFile)
    {
        var docs = new List<(JsonDocument, string)>();
        try
        {
            foreach (var f in files)
            {
                if (InputFile.ReadAllBytes(context.Err, "smp stress", "--merge", f.FullName, MaxReportBytes) is not { } bytes) return ExitCodes.Usage;
                try
                {
                    docs.Add((JsonDocument.Parse(bytes), f.FullName));
                }
                catch (JsonException ex)
                {
                    context.Err.WriteLine($"smp stress: --merge '{f.FullName}' is not JSON ({ex.Message.TrimEnd('.')}).");
                    return ExitCodes.Usage;
                }
            }

            using var merged = StressReport.Merge(docs);
            context.Out.Write(merged.Summary());
            return Finish(context, merged, reportFile);
        }
        catch (FormatException ex)
        {
            context.Err.WriteLine($"smp stress: cannot merge the reports: {ex.Message.TrimEnd('.')}.");
            return ExitCodes.Usage;
        }
        finally
        {
            foreach (var (d, _) in docs) d.Dispose();
        }
    }

    // The exit code of a campaign or merge: its verdict, after writing the report when one was asked for (the journal,
    // whose contents the report now holds, is then deleted).
    private static int Finish(CliContext context, StressReport report, FileInfo? reportFile)
    {
        int verdict = report.ViolationCount > 0 ? ExitCodes.StressViolations : ExitCodes.Ok;
        if (reportFile is null) return verdict;
        try
        {
            OutputFile.Write(reportFile.FullName, report.WriteJson);
            if (report.Journal.Path is not null) report.DiscardJournal();
            return verdict;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Err.WriteLine($"smp stress: --report could not write '{reportFile.FullName}': {FileError.Reason(ex, reportFile.FullName)}" +
                (report.Journal.Path is { } j ? $"; the seeds are kept in '{j}' (--resume '{reportFile.FullName}' writes the report)." : "."));
            return ExitCodes.AfterExport(verdict, exported: false);
        }
    }
}
