using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Firmware;
using Smp.Host.Files;
using Smp.Host.Running;

namespace Smp.Host.Commands;

/// <summary><c>smp run</c>: boots a disk image (a hobby kernel, a raw boot sector) on a simulated PC.</summary>
internal static class RunCommand
{
    /// <summary>The largest System.map (a full distribution kernel's is about 10 MiB).</summary>
    public const long MaxSymbolFileBytes = 256L << 20;

    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var maxInstructions = new Option<long>("--max-instructions")
        {
            Description = $"Stop with a report (exit code {ExitCodes.BudgetExhausted}) after this many guest instructions over all CPUs " +
                $"(1..{long.MaxValue}; no limit when absent).",
            HelpName = "N",
            CustomParser = result => MachineOptions.ParseInRange(result, "--max-instructions", 1, long.MaxValue, string.Empty),
        };
        var disk = new Option<FileInfo>("--disk")
        {
            Description = "The raw disk image to boot: a regular file of any size from 512 bytes whose first sector is the boot sector " +
                "(0xAA55 at offset 510). It is read on demand and never written (the guest's writes stay in memory). With --kernel it is drive 80h.",
            HelpName = "IMAGE",
        };
        var cpus = MachineOptions.Cpus(1, MachineConfig.MaxCpus, "xAPIC IDs are 8 bits and 255 is the broadcast ID");
        var memory = MachineOptions.Memory(MachineOptions.MinMemoryMiB);
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed for every random choice of the run (0 when absent); the same seed and options reproduce the run bit for bit.",
            HelpName = "S",
        };
        var symbols = new Option<FileInfo>("--symbols")
        {
            Description = "The guest's System.map ('ADDRESS TYPE NAME' lines, as nm prints; at most " + InputFile.Size(MaxSymbolFileBytes) +
                "), or a Linux bzImage whose own symbol table (kallsyms) is read (for distribution kernels whose System.map is a placeholder; " +
                "the addresses match only with 'nokaslr' in --append): watched functions (--watch and the boot-path defaults) become trace spans.",
            HelpName = "FILE.map",
        };
        var command = new Command(
            "run",
            "Boot a raw disk image, or a kernel (--kernel: Multiboot v1/v2 or a Linux bzImage), through the BIOS. The run ends when the guest writes port 0xF4 " +
            "(exit code (value << 1) | 1, as QEMU's isa-debug-exit), on a triple fault " +
            $"(exit code {ExitCodes.GuestShutdown}), when the instruction budget runs out (exit code {ExitCodes.BudgetExhausted}), " +
            $"when every CPU is idle for good (exit code {ExitCodes.MachineIdle}), when the guest powers off through ACPI S5 " +
            $"(exit code {ExitCodes.GuestPowerOff}), resets the machine (exit code {ExitCodes.GuestReset}) or gdb kills it (--gdb; exit code {ExitCodes.Ok}). " +
            "The guest's COM1 output goes to stdout.")
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

            var diskFile = parse.GetValue(disk);
            if (diskFile is null && !kernelOptions.HasKernel(parse))
            {
                context.Err.WriteLine("smp run: give --disk IMAGE or --kernel FILE (or both: the kernel boots, the disk is drive 80h).");
                return ExitCodes.Usage;
            }

            DiskImageSource? image = null;
            if (diskFile is not null && (image = OpenDisk(context, diskFile)) is null) return ExitCodes.Usage;
            using var imageFile = image;
            var kernel = kernelOptions.Read(parse, parse.GetValue(memory), out string? kernelError);
            if (kernelError is not null)
            {
                context.Err.WriteLine($"smp run: {kernelError}");
                return ExitCodes.Usage;
            }

            IReadOnlyList<KeyValuePair<string, ulong>> symbolTable = [];
            var map = parse.GetValue(symbols);
            if (map is not null)
            {
                if (ReadSystemMap(context, map) is not { } table) return ExitCodes.Usage;
                symbolTable = table;
            }

            TraceCliOptions.WarnUnknownWatch("smp run", traceOptions, symbolTable, map is null ? null : $"'{map.FullName}'", context.Err);

            return Run(
                context,
                image,
                diskFile?.Name ?? kernel!.Description,
                kernel,
                kernelOptions.WantsTestDevices(parse),
                kernelOptions.WantsScreen(parse),
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
        if (ReadsAsBzImage(map)) return ReadKallsyms(context, map);
        if (InputFile.ReadAllText(context.Err, "smp run", "--symbols", map.FullName, MaxSymbolFileBytes) is not { } text) return null;
        var lines = text.Split('\n');

        var result = new List<KeyValuePair<string, ulong>>();
        for (int i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            if (fields.Length < 3 || fields[1].Length != 1
                || !ulong.TryParse(fields[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address))
            {
                context.Err.WriteLine($"smp run: --symbols '{map.FullName}' line {i + 1} is not a System.map line ('ADDRESS TYPE NAME'): '{Excerpt(lines[i])}'.");
                return null;
            }

            result.Add(new(fields[2], address));
        }

        if (result.Count == 1 && text.Contains(Loaders.KernelSymbols.DebianPlaceholder, StringComparison.Ordinal))
        {
            context.Err.WriteLine($"smp run: --symbols '{map.FullName}' is Debian's placeholder System.map, without symbols; pass the kernel itself (--symbols vmlinuz) to read its kallsyms.");
            return null;
        }

        return result;
    }

    // A bzImage given as --symbols (its first bytes carry "HdrS"); a file that cannot be opened is left to ReadAllText's message.
    private static bool ReadsAsBzImage(FileInfo map)
    {
        try
        {
            if (InputFile.Problem(map.FullName, "--symbols", Loaders.KernelFile.MaxBytes, out _) is not null) return false;
            using var stream = map.OpenRead();
            var head = new byte[0x206];
            return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && Loaders.KernelSymbols.IsBzImage(head);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IReadOnlyList<KeyValuePair<string, ulong>>? ReadKallsyms(CliContext context, FileInfo kernel)
    {
        try
        {
            return Loaders.KernelSymbols.FromBzImage(Loaders.KernelFile.Read(kernel.FullName, "--symbols"));
        }
        catch (Loaders.KernelLoadException ex)
        {
            context.Err.WriteLine($"smp run: --symbols: {ex.Message}");
            return null;
        }
    }

    // A bad line quoted in a message: trimmed, without control characters, and short (a binary file is one long line).
    private static string Excerpt(string line)
    {
        var clean = new string([.. line.Trim().Select(c => char.IsControl(c) ? '?' : c)]);
        return clean.Length <= 60 ? clean : clean[..60] + "...";
    }

    /// <summary>
    /// The disk image, opened to be read on demand (never written: guests' writes go to the BIOS's overlay), or null
    /// after one sentence (<see cref="DiskImageSource.Open"/> refuses devices and FIFOs from their type, as
    /// <see cref="InputFile"/> does for the other input files, so none of them is ever read).
    /// </summary>
    private static DiskImageSource? OpenDisk(CliContext context, FileInfo disk)
    {
        try
        {
            return DiskImageSource.Open(disk.FullName, $"--disk '{disk.FullName}'");
        }
        catch (DiskImageException ex)
        {
            context.Err.WriteLine($"smp run: {ex.Message}");
            return null;
        }
    }

    private static int Run(CliContext context, DiskImageSource? image, string imageName, Devices.Platform.Firmware.IKernelImage? kernel, bool testDevices, bool screen,
        int cpus, int memoryMiB, long budget, ulong seed, IReadOnlyList<KeyValuePair<string, ulong>> symbols, Telemetry.TraceOptions traceOptions, bool parallel)
    {
        using var sink = new Com1Sink(context.Out, context.Err);
        var options = new GuestSessionOptions(cpus, memoryMiB, seed, image, imageName, symbols, traceOptions, MaxInstructions: budget,
            Parallel: parallel, Command: "smp run")
        {
            Kernel = kernel,
            TestDevices = testDevices,
            Screen = screen,
        };
        // The session wires tracing (when a trace option is on) and function tracking from --symbols.
        var session = GuestSession.Run(options, sink.Write, context.Err, sink.Flush);
        var result = session.Machine;
        int outcome;
        switch (result.Reason)
        {
            case StopReason.DebugExit:
                outcome = result.ExitCode ?? ExitCodes.Ok;
                if (!session.TraceExported)
                    context.Err.WriteLine($"smp run: the guest asked for exit code {outcome} through port 0xF4; the exit code is {ExitCodes.ExportFailed} because a trace was not written.");
                break;
            case StopReason.Shutdown:
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.GuestShutdown;
                break;
            case StopReason.BudgetExhausted:
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.BudgetExhausted;
                break;
            case StopReason.AllIdle:
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.MachineIdle;
                break;
            case StopReason.PowerOff:
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.GuestPowerOff;
                break;
            case StopReason.Reset:
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.GuestReset;
                break;
            case StopReason.GuestPanic:
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.GuestPanic;
                break;
            case StopReason.DebuggerKill:
                // gdb's kill ends the run as the user asked: success, as QEMU exits after its stub's kill.
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.Ok;
                break;
            default:
                context.Err.WriteLine($"smp run: {result.Report()}");
                outcome = ExitCodes.InternalError;
                break;
        }

        if (traceOptions.WatchList().Resolve(symbols).Count > 0) WriteSymbolReport(context, session, traceOptions);
        return ExitCodes.AfterExport(outcome, session.TraceExported);
    }

    // With watched functions among the guest's symbols: the per-CPU table read back from the kernel's own state, or,
    // when none of them ever ran, why (the usual cause is a kernel KASLR moved away from its link-time addresses).
    private static void WriteSymbolReport(CliContext context, GuestSessionResult session, Telemetry.TraceOptions traceOptions)
    {
        if (session.Trackers.All(t => t.LastPhase is null))
        {
            context.Err.WriteLine($"smp run: none of the {traceOptions.WatchList().Names.Count} watched functions ran: the symbols do not match the running kernel " +
                "(a Linux kernel relocated by KASLR matches its System.map or kallsyms only with 'nokaslr' in --append).");
            return;
        }

        BootTable.Write(context.Err, session);
    }
}
