using System.CommandLine;

namespace Smp.Host.Commands;

/// <summary><c>smp boot</c>: boots the built-in Linux-shaped kernel on a simulated multi-CPU PC.</summary>
internal static class BootCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var command = new Command(
            "boot",
            "Boot the built-in kernel (start_kernel, smp_init, INIT/SIPI bring-up of every AP) on a simulated PC. " +
            "The guest's COM1 output goes to stdout.")
        {
            MachineOptions.Cpus(4),
            MachineOptions.Memory(),
            new Option<ulong>("--seed")
            {
                Description = "Seed for every random choice of the run; the same seed and options reproduce the run bit for bit.",
                HelpName = "S",
            },
        };
        var trace = TraceCliOptions.AddTo(command);

        command.SetAction(parseResult => context.Guard("smp boot", () =>
        {
            if (trace.ReadValidated(parseResult, "smp boot", context.Err) is null)
            {
                return ExitCodes.Usage;
            }

            return context.NotImplemented("smp boot", "the built-in kernel arrives with issue 5");
        }));
        return command;
    }
}
