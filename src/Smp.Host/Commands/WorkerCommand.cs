using System.CommandLine;
using Smp.Host.Cluster;
using Smp.Host.Stress;

namespace Smp.Host.Commands;

/// <summary><c>smp worker</c>: a node of a cluster stress campaign, pulling ranges of seeds from the coordinator.</summary>
internal static class WorkerCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var join = new Option<ClusterEndpoint?>("--join")
        {
            Description = "The coordinator's address (smp stress --cluster HOST:PORT prints it).",
            HelpName = "HOST:PORT",
            CustomParser = ClusterEndpoint.Parse,
            Required = true,
        };
        var threads = StressCommand.ThreadsOption("Runner threads, each booting its own machine and pulling ranges of seeds");
        var host = new Option<string?>("--host")
        {
            Description = "The address this worker listens on, which the coordinator must reach (default: this machine's address on the route to the coordinator).",
            HelpName = "ADDRESS",
        };
        var wait = new Option<int>("--wait")
        {
            Description = "How long to keep trying to reach the coordinator, at the start and after losing it (a coordinator restarted " +
                $"with --resume finds its workers again), in seconds (1..86400; exit code {ExitCodes.CoordinatorUnreachable} when none answers).",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 60,
            CustomParser = result => (int)MachineOptions.ParseInRange(result, "--wait", 1, 86400, " seconds"),
        };
        var command = new Command(
            "worker",
            "Join a cluster stress campaign (smp stress --cluster) and run ranges of its seeds until it is complete; any number of workers " +
            "may join or leave at any time, and a range whose worker dies runs again elsewhere. Exit codes: " +
            $"{ExitCodes.Ok} the campaign is complete, {ExitCodes.Interrupted} stopped (SIGINT, SIGTERM, or the coordinator was stopped; " +
            $"the seeds run are sent first), {ExitCodes.CoordinatorUnreachable} no coordinator within --wait, {ExitCodes.Usage} bad arguments " +
            "(among them a --host this machine cannot listen on). Progress lines go to stderr.")
        {
            join, threads, host, wait,
        };
        command.SetAction(parse => context.Guard("smp worker", () =>
        {
            var err = context.Err;
            var gate = new Lock();
            void Log(string line)
            {
                lock (gate) err.WriteLine($"smp worker: {line}");
            }

            using var signals = StopSignals.Listen(err);
            try
            {
                return ClusterWorker.Run(parse.GetValue(join)!, parse.GetValue(threads), parse.GetValue(host),
                    TimeSpan.FromSeconds(parse.GetValue(wait)), Log, signals.Token);
            }
            catch (ClusterBindException ex)
            {
                Log($"{ex.Message} (give --host an address of this machine).");
                return ExitCodes.Usage;
            }
        }));
        return command;
    }
}
