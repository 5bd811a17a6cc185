using System.CommandLine;
using Smp.Devices.Cpu;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Host.Guest;
using Smp.Host.Running;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Commands;

/// <summary><c>smp boot</c>: boots the built-in Linux-shaped kernel on a simulated multi-CPU PC.</summary>
internal static class BootCommand
{
    // A boot that has not brought every CPU online by then is stuck (the kernel waits 10 s per dead AP).
    private const long DefaultTimeLimitNs = 30_000_000_000;

    /// <summary>
    /// The least RAM the built-in kernel boots in, in MiB: its highest structures (the IST stacks of all
    /// <see cref="KernelLayout.MaxCpus"/> CPUs) end at <see cref="KernelLayout.IstStacksEnd"/>, and the BIOS keeps
    /// the top <see cref="MemoryMap.AcpiAreaSize"/> bytes of RAM for the ACPI tables.
    /// </summary>
    public static readonly int MinimumMemoryMiB = (int)((KernelLayout.IstStacksEnd + MemoryMap.AcpiAreaSize + (1UL << 20) - 1) >> 20);

    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var cpus = MachineOptions.Cpus(4, KernelLayout.MaxCpus, "the built-in kernel's limit; smp run takes up to " + MachineConfig.MaxCpus);
        var memory = MachineOptions.Memory(MinimumMemoryMiB, "the least the built-in kernel boots in");
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed for every random choice of the run (0 when absent); the same seed and options reproduce the run bit for bit.",
            HelpName = "S",
        };
        var handlers = new Option<string>("--handlers")
        {
            Description = "The kernel's NMI/#DB entry code: 'naive' (plain IST handlers) or 'linux' (Linux's nested-NMI scheme and #DB stack shifting).",
            HelpName = "naive|linux",
            DefaultValueFactory = _ => "naive",
        };
        handlers.AcceptOnlyFromAmong("naive", "linux");
        var parallel = MachineOptions.Parallel();
        var command = new Command(
            "boot",
            "Boot the built-in kernel (start_kernel, smp_init, INIT/SIPI bring-up of every AP) on a simulated PC and stop when " +
            "every CPU is idle. The guest's COM1 output goes to stdout; a per-CPU table (GDT, gs-base, TSS, IST stacks, online " +
            $"time) goes to stderr. Exit 0 when every CPU came online, {ExitCodes.BootIncomplete} otherwise " +
            $"({ExitCodes.GuestShutdown} on a triple fault, {ExitCodes.ExportFailed} when a requested trace could not be written).")
        {
            cpus,
            memory,
            seed,
            handlers,
            parallel,
        };
        var trace = TraceCliOptions.AddTo(command);

        command.SetAction(parse => context.Guard("smp boot", () =>
        {
            var traceOptions = trace.ReadValidated(parse, "smp boot", context.Err);
            if (traceOptions is null) return ExitCodes.Usage;
            if (MachineOptions.ParallelConflict("smp boot", parse.GetValue(parallel), traceOptions.Enabled) is { } conflict)
            {
                context.Err.WriteLine(conflict);
                return ExitCodes.Usage;
            }

            var kernel = KernelImage.Build(new KernelOptions(parse.GetValue(handlers) == "linux" ? HandlerVariant.Linux : HandlerVariant.Naive));
            int n = parse.GetValue(cpus);
            var symbols = kernel.Symbols.Select(s => new KeyValuePair<string, ulong>(s.Name, s.Address)).ToArray();
            TraceCliOptions.WarnUnknownWatch("smp boot", traceOptions, symbols, "the built-in kernel", context.Err);
            var options = new GuestSessionOptions(n, parse.GetValue(memory), parse.GetValue(seed), DiskImageSource.FromBytes(kernel.Disk), "built-in kernel",
                symbols, traceOptions, MaxSimulatedTime: DefaultTimeLimitNs, Parallel: parse.GetValue(parallel), Command: "smp boot");
            using var sink = new Com1Sink(context.Out, context.Err);
            var result = GuestSession.Run(options, sink.Write, context.Err, sink.Flush);
            return ExitCodes.AfterExport(Report(context.Err, result, n), result.TraceExported);
        }));
        return command;
    }

    private static int Report(TextWriter err, GuestSessionResult result, int cpus)
    {
        var machine = result.Machine;
        err.WriteLine();
        BootTable.Write(err, result);
        err.WriteLine($"simulated {BootTable.FormatTime(machine.SimulatedNanoseconds)}, {machine.Instructions:N0} instructions, " +
            $"wall {result.WallClock.TotalMilliseconds:F0} ms, stop: {machine.Reason}");
        if (machine.Reason == StopReason.Shutdown)
        {
            err.WriteLine($"smp boot: {machine.Report()}");
            return ExitCodes.GuestShutdown;
        }

        if (machine.Reason == StopReason.ActorFailure)
        {
            err.WriteLine($"smp boot: {machine.Report()}");
            return ExitCodes.InternalError;
        }

        var missing = result.Cpus.Where(c => result.Trackers[c.Cpu].FirstEntry("cpu_idle") is null || c.State != RunState.Halted).ToList();
        if (missing.Count == 0 && machine.Reason == StopReason.AllIdle)
        {
            err.WriteLine($"smp boot: all {cpus} CPUs online and idle.");
            return ExitCodes.Ok;
        }

        foreach (var cpu in missing)
        {
            var phase = result.Trackers[cpu.Cpu].LastPhase;
            err.WriteLine($"smp boot: CPU {cpu.Cpu} (APIC {cpu.ApicId}) did not come up: last phase {phase ?? "none (never started)"}, " +
                $"state {cpu.State}, {cpu.Mode} at RIP 0x{cpu.Rip:x}.");
        }

        if (missing.Count == 0) err.WriteLine($"smp boot: the run stopped before every CPU was idle ({machine.Reason}).");
        return ExitCodes.BootIncomplete;
    }
}
