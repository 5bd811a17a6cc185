using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Smp.Host.Commands;

/// <summary><c>smp run</c>: boots a disk image (a hobby kernel, a raw boot sector) on a simulated PC.</summary>
internal static class RunCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var maxInstructions = new Option<long>("--max-instructions")
        {
            Description = $"Stop with a report (exit code {ExitCodes.BudgetExhausted}) after this many guest instructions over all CPUs.",
            HelpName = "N",
            CustomParser = ParseBudget,
        };
        var command = new Command(
            "run",
            "Boot a raw disk image through the BIOS. The run ends when the guest writes port 0xF4 " +
            "(exit code (value << 1) | 1, as QEMU's isa-debug-exit), on a triple fault " +
            $"(exit code {ExitCodes.GuestShutdown}), or when the instruction budget runs out (exit code {ExitCodes.BudgetExhausted}).")
        {
            new Option<FileInfo>("--disk")
            {
                Description = "The raw disk image to boot (its first sector is the boot sector).",
                HelpName = "IMAGE",
                Required = true,
            },
            MachineOptions.Cpus(4),
            MachineOptions.Memory(),
            maxInstructions,
        };
        var trace = TraceCliOptions.AddTo(command);

        command.SetAction(parseResult => context.Guard("smp run", () =>
        {
            if (trace.ReadValidated(parseResult, "smp run", context.Err) is null)
            {
                return ExitCodes.Usage;
            }

            return context.NotImplemented("smp run", "booting disk images needs the CPU core and the BIOS of the coming issues");
        }));
        return command;
    }

    private static long ParseBudget(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        result.AddError($"--max-instructions expects a positive whole number, not '{text}'");
        return 0;
    }
}
