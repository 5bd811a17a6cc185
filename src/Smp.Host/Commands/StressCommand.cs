using System.CommandLine;
using System.Text.Json;
using Smp.Host.Files;
using Smp.Host.Guest;
using Smp.Host.Stress;

namespace Smp.Host.Commands;

/// <summary><c>smp stress</c>: seeded NMI/#DB nesting campaigns with an IST monitor.</summary>
internal static class StressCommand
{
    // Full oopses printed on stdout (all of them are in the JSON report).
    private const int OopsesPrinted = 3;

    /// <summary>The largest report <c>--merge</c> reads (every violation carries its oops and guest console).</summary>
    public const long MaxReportBytes = 1L << 30;

    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var cpus = MachineOptions.Cpus(2, KernelLayout.MaxCpus, "the built-in kernel's limit");
        var handlers = new Option<string>("--handlers")
        {
            Description = "Which guest NMI/#DB handler pair to test: 'naive' (expected to fail) or 'linux' (nested-NMI logic and #DB IST shifting).",
            HelpName = "naive|linux",
            DefaultValueFactory = _ => "linux",
        };
        handlers.AcceptOnlyFromAmong("naive", "linux");
        var seeds = new Option<SeedRange>("--seeds")
        {
            Description = "The seeds to run, inclusive: A..B (a single seed replays one scenario).",
            HelpName = "A..B",
            CustomParser = SeedRange.Parse,
            DefaultValueFactory = _ => new SeedRange(1, 100),
        };
        var shard = new Option<Shard>("--shard")
        {
            Description = "Run only shard i of n of the seed range (seeds striped: seed A+k belongs to shard k mod n + 1), " +
                "so a batch scheduler can spread a campaign over machines; merge the reports with --merge.",
            HelpName = "i/n",
            CustomParser = Shard.Parse,
            DefaultValueFactory = _ => new Shard(1, 1),
        };
        var scenario = new Option<string>("--scenario")
        {
            Description = "The scenario: " + string.Join(", ", StressScenarios.Names) + ", or 'all' (each seed picks one).",
            HelpName = "NAME|all",
            DefaultValueFactory = _ => "all",
        };
        scenario.AcceptOnlyFromAmong([.. StressScenarios.Names, "all"]);
        var report = new Option<FileInfo?>("--report")
        {
            Description = "Write the JSON report (campaign, totals, every violation with its seed and oops) to FILE; the path is checked " +
                $"before the campaign starts, and a report that cannot be written gives exit code {ExitCodes.ExportFailed}.",
            HelpName = "FILE.json",
        };
        var merge = new Option<FileInfo[]>("--merge")
        {
            Description = "Instead of running, merge these JSON reports of shards of one campaign (into --report, and print the summary); " +
                $"each at most {InputFile.Size(MaxReportBytes)}.",
            HelpName = "FILE.json",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command(
            "stress",
            "Run seeded scenarios injecting NMIs and debug exceptions (TF, DR0-DR3) at random or chosen points; " +
            "report IST stack clobbering and lost or doubled NMIs with an oops, replayable from its seed " +
            $"(exit code {ExitCodes.StressViolations} when violations are found). The findings and the summary go to stdout, " +
            "the progress to stderr.")
        {
            cpus, handlers, seeds, shard, scenario, report, merge,
        };
        command.SetAction(parse => context.Guard("smp stress", () =>
        {
            var reportFile = parse.GetValue(report);
            if (reportFile is not null && OutputFile.Problem(reportFile.FullName) is { } problem)
            {
                context.Err.WriteLine($"smp stress: --report '{reportFile.FullName}' {problem}.");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(merge) is { Length: > 0 } files) return Merge(context, files, reportFile);
            var range = parse.GetValue(seeds)!;
            var part = parse.GetValue(shard)!;
            var spec = new StressCampaignSpec(parse.GetValue(handlers) == "naive" ? HandlerVariant.Naive : HandlerVariant.Linux, parse.GetValue(cpus),
                parse.GetValue(scenario)!, range.First, range.Last, part.Index, part.Count);
            var results = StressProgress.Run(spec, context.Err);
            var r = StressReport.Of(spec, results);
            context.Out.Write(Render(results, r));
            return Finish(context, r, reportFile);
        }));
        return command;
    }

    /// <summary>The standard output of a campaign: one line per violation, the first oopses, then the summary table.</summary>
    internal static string Render(IReadOnlyList<SeedResult> results, StressReport report)
    {
        var output = new StringWriter { NewLine = "\n" };
        PrintFindings(output, results);
        output.Write(report.Summary());
        return output.ToString();
    }

    private static void PrintFindings(TextWriter output, IReadOnlyList<SeedResult> results)
    {
        int printed = 0;
        foreach (var s in results)
        {
            foreach (var v in s.Violations)
                output.WriteLine(FormattableString.Invariant($"seed {s.Seed} {s.Scenario} CPU{v.Cpu} {v.Kind}: {v.Details}   [{s.Plan}]"));
            var shown = s.Violations.Count > 0 ? s.Violations[0] : results.Count == 1 && s.Expected.Count > 0 ? s.Expected[0] : null;
            if (shown is null || printed >= OopsesPrinted) continue;
            printed++;
            output.WriteLine(FormattableString.Invariant($"---- oops, seed {s.Seed} ({s.Scenario}) ----"));
            output.Write(shown.Oops);
            if (s.Console.Length > 0) output.Write(FormattableString.Invariant($"---- guest console, seed {s.Seed} ----\n{s.Console}"));
            output.WriteLine("----");
        }
    }

    private static int Merge(CliContext context, FileInfo[] files, FileInfo? reportFile)
    {
        var docs = new List<JsonDocument>();
        StressReport merged;
        try
        {
            foreach (var f in files)
            {
                if (InputFile.ReadAllBytes(context.Err, "smp stress", "--merge", f.FullName, MaxReportBytes) is not { } bytes) return ExitCodes.Usage;
                try
                {
                    docs.Add(JsonDocument.Parse(bytes));
                }
                catch (JsonException ex)
                {
                    context.Err.WriteLine($"smp stress: --merge '{f.FullName}' is not JSON ({ex.Message.TrimEnd('.')}).");
                    return ExitCodes.Usage;
                }
            }

            merged = StressReport.Merge(docs);
        }
        catch (Exception ex) when (ex is FormatException or KeyNotFoundException or InvalidOperationException)
        {
            context.Err.WriteLine($"smp stress: cannot merge the reports: {ex.Message.TrimEnd('.')}.");
            return ExitCodes.Usage;
        }
        finally
        {
            foreach (var d in docs) d.Dispose();
        }

        context.Out.Write(merged.Summary());
        return Finish(context, merged, reportFile);
    }

    // The exit code of a campaign or merge: its verdict, after writing the report when one was asked for.
    private static int Finish(CliContext context, StressReport report, FileInfo? reportFile)
    {
        int verdict = report.ViolationCount > 0 ? ExitCodes.StressViolations : ExitCodes.Ok;
        if (reportFile is null) return verdict;
        try
        {
            OutputFile.Write(reportFile.FullName, report.WriteJson);
            return verdict;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Err.WriteLine($"smp stress: --report could not write '{reportFile.FullName}': {FileError.Reason(ex, reportFile.FullName)}.");
            return ExitCodes.AfterExport(verdict, exported: false);
        }
    }
}
