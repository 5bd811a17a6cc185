using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
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
            "Boot a raw disk image, or a kernel (--kernel: Multiboot v1/v2 or a Linux bzImage), through the BIOS. The run ends when the guest writes port 0xF4 " +
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
        var kernelOptions = KernelCliOptions.AddTo(command);

        command.SetAction(parse => context.Guard("smp run", () =>
        {
            if (parse.GetValue(disk) is null && !kernelOptions.HasKernel(parse))
            {
                context.Err.WriteLine("smp run: give --disk IMAGE or --kernel FILE (or both: the kernel boots, the disk is drive 80h).");
                return ExitCodes.Usage;
            }

            var kernel = kernelOptions.Read(parse, parse.GetValue(memory), out string? kernelError);
            if (kernelError is not null)
            {
                context.Err.WriteLine($"smp run: {kernelError}");
                return ExitCodes.Usage;
            }

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
                parse.GetValue(disk),
                kernel,
                kernelOptions.WantsTestDevices(parse),
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

    private static int Run(CliContext context, FileInfo? disk, Devices.Platform.Firmware.IKernelImage? kernel, bool testDevices, int cpus, int memoryMiB, long budget, ulong seed,
        IReadOnlyList<KeyValuePair<string, ulong>> symbols, Telemetry.TraceOptions traceOptions, bool parallel)
    {
        byte[] image = [];
        if (disk is not null)
        {
            if (ReadDisk(context, disk, requireBootSector: kernel is null) is not { } bytes) return ExitCodes.Usage;
            image = bytes;
        }

        var sink = new Com1Sink(context.Out);
        string name = disk?.Name ?? kernel!.Description;
        var options = new GuestSessionOptions(cpus, memoryMiB, seed, image, name, symbols, traceOptions, MaxInstructions: budget, Parallel: parallel)
        {
            Kernel = kernel,
            TestDevices = testDevices,
        };
        MachineResult result;
        try
        {
            // The session wires tracing (when a trace option is on) and function tracking from --symbols.
            result = GuestSession.Run(options, sink.Write, context.Err).Machine;
        }
        catch (OutOfMemoryException)
        {
            context.Err.WriteLine($"smp run: cannot allocate {memoryMiB} MiB of guest memory on this host.");
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

    // The disk image's bytes (read-only: guests' writes go to the BIOS's overlay), or null after a one-sentence error.
    // A disk that is only drive 80h (a kernel boots) needs no boot sector.
    private static byte[]? ReadDisk(CliContext context, FileInfo disk, bool requireBootSector)
    {
        byte[] image;
        try
        {
            image = File.ReadAllBytes(disk.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            context.Err.WriteLine($"smp run: cannot read the disk image '{disk.FullName}': {ex.Message}");
            return null;
        }

        if (image.Length < 512)
        {
            context.Err.WriteLine($"smp run: the disk image '{disk.FullName}' is {image.Length} bytes, shorter than one 512-byte sector.");
            return null;
        }

        if (requireBootSector && (image[510] != 0x55 || image[511] != 0xAA))
        {
            context.Err.WriteLine($"smp run: the disk image '{disk.FullName}' has no boot signature (0xAA55 at offset 510).");
            return null;
        }

        return image;
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
