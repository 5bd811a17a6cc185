using System.CommandLine;

namespace Smp.Host.Commands;

/// <summary><c>smp stress</c>: seeded NMI/#DB nesting campaigns with an IST monitor.</summary>
internal static class StressCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var handlers = new Option<string>("--handlers")
        {
            Description = "Which guest NMI/#DB handler pair to test: 'naive' (expected to fail) or 'linux' (nested-NMI logic and #DB IST shifting).",
            DefaultValueFactory = _ => "linux",
        };
        handlers.AcceptOnlyFromAmong("naive", "linux");
        var command = new Command(
            "stress",
            "Run seeded scenarios injecting NMIs and debug exceptions (TF, DR0-DR3, INT1) at random or chosen points; " +
            "report IST stack clobbering and lost or doubled NMIs with an oops, replayable from its seed " +
            $"(exit code {ExitCodes.StressViolations} when violations are found).")
        {
            MachineOptions.Cpus(2),
            handlers,
            new Option<SeedRange>("--seeds")
            {
                Description = "The seeds to run, inclusive: A..B (a single seed replays one scenario).",
                HelpName = "A..B",
                CustomParser = SeedRange.Parse,
                DefaultValueFactory = _ => new SeedRange(1, 100),
            },
            new Option<Shard>("--shard")
            {
                Description = "Run only shard i of n of the seed range, so a batch scheduler can spread a campaign over machines.",
                HelpName = "i/n",
                CustomParser = Shard.Parse,
                DefaultValueFactory = _ => new Shard(1, 1),
            },
        };
        command.SetAction(_ => context.Guard("smp stress", () =>
            context.NotImplemented("smp stress", "stress campaigns need the CPU core, the guest handlers and the IST monitor of later issues")));
        return command;
    }
}
