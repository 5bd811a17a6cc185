using System.CommandLine;
using Smp.Host.Cluster;
using Smp.Host.Files;
using Smp.Host.Guest;
using Smp.Host.Stress;

namespace Smp.Host.Commands;

// The options of smp stress.
internal static partial class StressCommand
{
    /// <summary><c>--threads N</c> (1..<see cref="MaxThreads"/>, default 1): runner threads, each with its own booted machine.</summary>
    /// <param name="description">What the threads do, for the help text.</param>
    /// <returns>The option.</returns>
    public static Option<int> ThreadsOption(string description) => new("--threads")
    {
        Description = $"{description} (1..{MaxThreads}).",
        DefaultValueFactory = _ => 1,
        HelpName = "N",
        CustomParser = result => (int)MachineOptions.ParseInRange(result, "--threads", 1, MaxThreads, string.Empty),
    };

    private sealed class Options
    {
        public Option<int> Cpus { get; } = MachineOptions.Cpus(2, KernelLayout.MaxCpus, "the built-in kernel's limit");

        public Option<string> Handlers { get; } = new Option<string>("--handlers")
        {
            Description = "Which guest NMI/#DB handler pair to test: 'naive' (expected to fail) or 'linux' (nested-NMI logic and #DB IST shifting).",
            HelpName = "naive|linux",
            DefaultValueFactory = _ => "linux",
        }.AcceptOnlyFromAmong("naive", "linux");

        public Option<SeedRange> Seeds { get; } = new("--seeds")
        {
            Description = "The seeds to run, inclusive: A..B (a single seed replays one scenario).",
            HelpName = "A..B",
            CustomParser = SeedRange.Parse,
            DefaultValueFactory = _ => new SeedRange(1, 100),
        };

        public Option<Shard> Shard { get; } = new("--shard")
        {
            Description = "Run only shard i of n of the seed range (seeds striped: seed A+k belongs to shard k mod n + 1), " +
                "so a batch scheduler can spread a campaign over machines; merge the reports with --merge.",
            HelpName = "i/n",
            CustomParser = Commands.Shard.Parse,
            DefaultValueFactory = _ => new Shard(1, 1),
        };

        public Option<string> Scenario { get; } = new Option<string>("--scenario")
        {
            Description = "The scenario: " + string.Join(", ", StressScenarios.Names) + ", or 'all' (each seed picks one).",
            HelpName = "NAME|all",
            DefaultValueFactory = _ => "all",
        }.AcceptOnlyFromAmong([.. StressScenarios.Names, "all"]);

        public Option<FileInfo?> Report { get; } = new("--report")
        {
            Description = "Write the JSON report (campaign, completed ranges, totals, every violation with its seed and oops) to FILE; the path " +
                $"is checked before the campaign starts (exit code {ExitCodes.Usage} when it cannot be written), and a write that fails at the end gives exit code {ExitCodes.ExportFailed}. The seeds' " +
                "outcomes are journaled in FILE.journal as they complete (deleted once the report is written), so a campaign killed even with " +
                "SIGKILL continues with --resume FILE.",
            HelpName = "FILE.json",
        };

        public Option<FileInfo[]> Merge { get; } = new("--merge")
        {
            Description = "Instead of running, merge these JSON reports of one campaign (shards, partial reports) into --report and print the summary; " +
                $"reports that share a seed are refused; each at most {InputFile.Size(MaxReportBytes)}.",
            HelpName = "FILE.json",
            AllowMultipleArgumentsPerToken = true,
        };

        public Option<int> Threads { get; } = ThreadsOption(
            "Runner threads in this process, each booting its own machine and pulling ranges of seeds; the report is the same for any number");

        public Option<FileInfo?> Resume { get; } = new("--resume")
        {
            Description = "Continue the campaign of REPORT (a partial report, or the journal a killed campaign left beside it), running only the " +
                "seeds it lacks; the report goes to --report, by default REPORT itself. The campaign options come from the report.",
            HelpName = "REPORT.json",
        };

        public Option<ClusterEndpoint?> Cluster { get; } = new("--cluster")
        {
            Description = "Run the campaign over a cluster: this process becomes the coordinator, listening on HOST:PORT (port 0: any free one, " +
                $"printed; exit code {ExitCodes.Usage} when it cannot listen there), and hands ranges of seeds to the workers that join it (smp worker --join HOST:PORT); " +
                "it runs no seed itself.",
            HelpName = "HOST:PORT",
            CustomParser = ClusterEndpoint.Parse,
        };

        /// <summary>The options that describe a campaign, which --resume takes from the report instead.</summary>
        public Option[] CampaignOptions => [Cpus, Handlers, Seeds, Shard, Scenario];
    }
}
