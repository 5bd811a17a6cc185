using System.CommandLine;
using Smp.Host.Commands;

namespace Smp.Host;

/// <summary>
/// The <c>smp</c> command line: builds the command tree, turns parse errors into one sentence
/// and exit code 2, and turns unexpected exceptions into one sentence and
/// <see cref="ExitCodes.InternalError"/>. Tests call <see cref="Run"/> in-process.
/// </summary>
internal static class SmpCli
{
    /// <summary>Runs <c>smp</c> with <paramref name="args"/>, writing to the given streams.</summary>
    /// <param name="args">The command-line arguments (without the program name).</param>
    /// <param name="stdout">Standard output: the guest's COM1 bytes, help, and benchmark tables.</param>
    /// <param name="stderr">Standard error: everything the simulator itself says.</param>
    /// <returns>The process exit code (see <see cref="ExitCodes"/>).</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var context = new CliContext(stdout, stderr);
        try
        {
            var root = BuildRootCommand(context);
            var parseResult = root.Parse(args);
            if (parseResult.Errors.Count > 0)
            {
                stderr.WriteLine($"smp: {OneSentence(parseResult)} Run 'smp --help' for usage.");
                return ExitCodes.Usage;
            }

            return parseResult.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception ex)
        {
            return context.ReportInternalError("smp", ex);
        }
    }

    /// <summary>
    /// The most useful parse error as one line: an unrecognized word beats the complaints it
    /// causes (such as a missing subcommand), and multi-line messages are joined.
    /// </summary>
    private static string OneSentence(ParseResult parseResult)
    {
        var chosen = parseResult.Errors[0];
        foreach (var error in parseResult.Errors)
        {
            if (error.Message.StartsWith("Unrecognized", StringComparison.Ordinal))
            {
                chosen = error;
                break;
            }
        }

        var words = chosen.Message.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var message = string.Join(' ', words);
        return message.EndsWith('.') ? message : message + ".";
    }

    /// <summary>Builds the command tree described in DESIGN.md, "Command line".</summary>
    /// <param name="context">Where commands write.</param>
    /// <returns>The root command.</returns>
    public static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand(
            "smp simulates multi-CPU x86 PCs: CPUs, APIC bus, memory controller and BIOS are actors exchanging " +
            "messages in deterministic simulated time. Standard output carries what a command produces and nothing else: " +
            "exactly the guest's COM1 bytes (boot, run), the findings and summary (stress), the figures (bench); standard error " +
            "carries everything the simulator says about the work (progress, per-CPU tables, reports, warnings, errors). " +
            $"Exit codes: {ExitCodes.Ok} success, {ExitCodes.Usage} bad input (one sentence), {ExitCodes.GuestShutdown} triple fault, " +
            $"{ExitCodes.BudgetExhausted} instruction budget exhausted, {ExitCodes.StressViolations} stress violations, " +
            $"{ExitCodes.MachineIdle} every CPU idle for good, {ExitCodes.BootIncomplete} boot incomplete, {ExitCodes.ExportFailed} an output " +
            $"(trace, report) not written, {ExitCodes.Interrupted} stopped by SIGINT/SIGTERM with a partial report, " +
            $"{ExitCodes.CoordinatorUnreachable} no coordinator (worker), {ExitCodes.InternalError} internal error, odd: the guest's own code (smp run).")
        {
            BootCommand.Create(context),
            RunCommand.Create(context),
            ImageCommand.Create(context),
            StressCommand.Create(context),
            WorkerCommand.Create(context),
            BenchCommand.Create(context),
        };
        return root;
    }
}
