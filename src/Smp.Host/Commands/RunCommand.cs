using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Smp.Devices.Platform;
using Smp.Devices.Memory;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Firmware;
using Smp.Host.Running;

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
        var disk = new Option<FileInfo>("--disk")
        {
            Description = "The raw disk image to boot (its first sector is the boot sector). It is never written.",
            HelpName = "IMAGE",
            Required = true,
        };
        var cpus = MachineOptions.Cpus(1);
        var memory = MachineOptions.Memory();
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed for every random choice of the run; the same seed and options reproduce the run bit for bit.",
            HelpName = "S",
        };
        var symbols = new Option<FileInfo>("--symbols")
        {
            Description = "The guest's System.map ('ADDRESS TYPE NAME' lines): watched functions (--watch and the boot-path defaults) become trace spans.",
            HelpName = "FILE.map",
        };
        var command = new Command(
            "run",
            "Boot a raw disk image through the BIOS. The run ends when the guest writes port 0xF4 " +
            "(exit code (value << 1) | 1, as QEMU's isa-debug-exit), on a triple fault " +
            $"(exit code {ExitCodes.GuestShutdown}), or when the instruction budget runs out (exit code {ExitCodes.BudgetExhausted}).")
        {
            disk,
            cpus,
            memory,
            maxInstructions,
            seed,
            symbols,
        };
        var parallel = MachineOptions.Parallel();
        command.Options.Add(parallel);
        var trace = TraceCliOptions.AddTo(command);

        command.SetAction(parse => context.Guard("smp run", () =>
        {
            var traceOptions = trace.ReadValidated(parse, "smp run", context.Err);
            if (traceOptions is null)
            {
                return ExitCodes.Usage;
            }

            if (MachineOptions.ParallelConflict("smp run", parse.GetValue(parallel), traceOptions.Enabled) is { } conflict)
            {
                context.Err.WriteLine(conflict);
                return ExitCodes.Usage;
            }

            IReadOnlyList<KeyValuePair<string, ulong>> symbolTable = [];
            if (parse.GetValue(symbols) is { } map)
            {
                if (ReadSystemMap(context, map) is not { } table) return ExitCodes.Usage;
                symbolTable = table;
            }

            return Run(
                context,
                parse.GetValue(disk)!,
                parse.GetValue(cpus),
                parse.GetValue(memory),
                parse.GetResult(maxInstructions) is null ? long.MaxValue : parse.GetValue(maxInstructions),
                parse.GetValue(seed),
                symbolTable,
                traceOptions,
                parse.GetValue(parallel));
        }));
        return command;
    }

    /// <summary>
    /// Reads a System.map (<c>ffffffff81000000 T _text</c> per line, as <c>nm</c> prints): every symbol with its
    /// address. Null (after a message) when the file cannot be read or a line is not of that shape.
    /// </summary>
    internal static IReadOnlyList<KeyValuePair<string, ulong>>? ReadSystemMap(CliContext context, FileInfo map)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(map.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            context.Err.WriteLine($"smp run: cannot read the symbol file '{map.FullName}': {ex.Message}");
            return null;
        }

        var result = new List<KeyValuePair<string, ulong>>();
        for (int i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length < 3 || fields[1].Length != 1
                || !ulong.TryParse(fields[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address))
            {
                context.Err.WriteLine($"smp run: '{map.FullName}' line {i + 1} is not a System.map line ('ADDRESS TYPE NAME'): '{lines[i].Trim()}'.");
                return null;
            }

            result.Add(new(fields[2], address));
        }

        return result;
    }

    private static int Run(CliContext context, FileInfo disk, int cpus, int memoryMiB, long budget, ulong seed,
        IReadOnlyList<KeyValuePair<string, ulong>> symbols, Telemetry.TraceOptions traceOptions, bool parallel)
    {
        DiskImageSource image;
        try
        {
            image = DiskImageSource.Open(disk.FullName); // read on demand, never written: guests' writes go to the BIOS's overlay
        }
        catch (DiskImageException ex)
        {
            context.Err.WriteLine($"smp run: {ex.Message}");
            return ExitCodes.Usage;
        }

        using var imageFile = image;
        var sink = new Com1Sink(context.Out);
        var options = new GuestSessionOptions(cpus, memoryMiB, seed, image, disk.Name, symbols, traceOptions, MaxInstructions: budget, Parallel: parallel);
        MachineResult result;
        try
        {
            // The session wires tracing (when a trace option is on) and function tracking from --symbols.
            result = GuestSession.Run(options, sink.Write, context.Err).Machine;
        }
        catch (GuestMemoryUnavailableException ex)
        {
            context.Err.WriteLine($"smp run: {ex.Message}");
            return ExitCodes.Usage;
        }
        finally
        {
            sink.Flush();
        }

        switch (result.Reason)
        {
            case StopReason.DebugExit:
                return result.ExitCode ?? ExitCodes.Ok;
            case StopReason.Shutdown:
                context.Err.WriteLine($"smp run: {result.Report()}");
                return ExitCodes.GuestShutdown;
            case StopReason.BudgetExhausted:
                context.Err.WriteLine($"smp run: {result.Report()}");
                return ExitCodes.BudgetExhausted;
            case StopReason.AllIdle:
                context.Err.WriteLine($"smp run: {result.Report()}");
                return ExitCodes.MachineIdle;
            default:
                context.Err.WriteLine($"smp run: {result.Report()}");
                return ExitCodes.InternalError;
        }
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
