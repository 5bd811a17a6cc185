using Stopwatch = System.Diagnostics.Stopwatch;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;
using Smp.Host.Firmware;
using Smp.Host.Telemetry;

namespace Smp.Host.Running;

/// <summary>What to run: a disk image on a machine, with the guest's symbols when known and tracing options.</summary>
/// <param name="Cpus">Logical CPUs.</param>
/// <param name="MemoryMiB">RAM in MiB.</param>
/// <param name="Seed">Run seed (trace IDs and any random choice derive from it).</param>
/// <param name="Disk">The disk image, read on demand (never written), or null for a machine without one (a kernel boot).</param>
/// <param name="ImageName">Name of the image for reports and traces.</param>
/// <param name="Symbols">Guest function symbols (name, address), or empty when unknown.</param>
/// <param name="Trace">Telemetry options.</param>
/// <param name="MaxInstructions">Instruction budget over all CPUs.</param>
/// <param name="MaxSimulatedTime">Simulated-time limit in ns, or null.</param>
/// <param name="Parallel">Run the CPUs of one quantum on several host threads (parallel mode).</param>
/// <param name="Command">The command that names itself in messages, such as <c>smp boot</c>.</param>
/// <param name="Recorder">Sees every message delivery (determinism tests), or null.</param>
internal sealed record GuestSessionOptions(int Cpus, int MemoryMiB, ulong Seed, DiskImageSource? Disk, string ImageName,
    IReadOnlyList<KeyValuePair<string, ulong>> Symbols, TraceOptions Trace, long MaxInstructions = long.MaxValue, long? MaxSimulatedTime = null,
    bool Parallel = false, string Command = "smp", Smp.Actors.IMessageRecorder? Recorder = null)
{
    /// <summary>A kernel the BIOS boots instead of the disk's boot sector (<c>smp run --kernel</c>), or null.</summary>
    public Devices.Platform.Firmware.IKernelImage? Kernel { get; init; }

    /// <summary>Add QEMU's pc-testdev to the machine.</summary>
    public bool TestDevices { get; init; }

    /// <summary>Show the BIOS's INT 10h text on the console writer with COM1's bytes (default true).</summary>
    public bool Screen { get; init; } = true;
}

/// <summary>How a session ended, with what each CPU holds and how far it got.</summary>
/// <param name="Machine">The machine's own result (stop reason, exit code, per-CPU summary).</param>
/// <param name="Cpus">Per-CPU read-back from registers and guest memory.</param>
/// <param name="Trackers">Per-CPU function trackers (last phase, first-entry times).</param>
/// <param name="WallClock">Host time the run took.</param>
/// <param name="Trace">The recorded (and already exported) trace, or null when no trace option was on.</param>
/// <param name="TraceExported">False when a requested trace export failed (each failure was named on the error writer).</param>
internal sealed record GuestSessionResult(MachineResult Machine, IReadOnlyList<CpuReadback> Cpus, IReadOnlyList<FunctionTracker> Trackers, TimeSpan WallClock,
    BootTrace? Trace = null, bool TraceExported = true);

/// <summary>
/// Runs one guest on a <see cref="Machine"/> with the observers a user asked for: function tracking
/// from the guest's symbols (always, it is cheap), and a <see cref="BootTrace"/> exported at the end
/// when any trace option is on. Shared by <c>smp boot</c> and <c>smp run</c>.
/// </summary>
internal static class GuestSession
{
    /// <summary>Runs the guest; the COM1 bytes go to <paramref name="console"/>, trace export errors to <paramref name="err"/>.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="console">Takes each byte the guest sends on COM1.</param>
    /// <param name="err">Standard error.</param>
    /// <param name="stopped">Called when the machine stops, before anything is written to <paramref name="err"/>
    /// (the COM1 sink flushes there, so the guest's last output comes before the reports about it).</param>
    /// <returns>How the session ended.</returns>
    /// <exception cref="GuestRamUnavailableException">The host cannot give the guest its RAM.</exception>
    public static GuestSessionResult Run(GuestSessionOptions options, Action<byte> console, TextWriter err, Action? stopped = null)
    {
        var trace = options.Trace.CreateTrace(new TraceMachine(options.Cpus, options.MemoryMiB, options.ImageName, options.Seed));
        var watchNames = options.Trace.WatchList().Resolve(options.Symbols);
        var apicIds = Enumerable.Range(0, options.Cpus).Select(i => (uint)i).ToArray();
        var trackers = new FunctionTracker[options.Cpus];
        Machine? running = null;
        var panicWatch = new PanicLineWatch(line => running?.Control.RequestPanic(PanickedCpu(trackers), PanicReason(trackers, line)));
        var guestConsole = console;
        console = b =>
        {
            guestConsole(b);
            panicWatch.Write(b);
        };
        if (options.Parallel) console = Serialized(console);
        var config = new MachineConfig
        {
            Cpus = options.Cpus,
            MemoryMiB = options.MemoryMiB,
            Seed = options.Seed,
            MaxInstructions = options.MaxInstructions,
            MaxSimulatedTime = options.MaxSimulatedTime,
            Parallel = options.Parallel,
            Recorder = options.Recorder,
            RomImage = SmpBiosFirmware.Rom,
            Disk = options.Disk,
            Kernel = options.Kernel,
            TestDevices = options.TestDevices,
            BiosServices = SmpBiosFirmware.CreateServices,
            Console = console,
            Screen = options.Screen ? console : null,
            Observer = trace is null ? null : new MachineTelemetry(trace, apicIds),
        };

        var wall = Stopwatch.StartNew();
        using var machine = Create(config);
        running = machine;
        var watch = watchNames.Count > 0 ? new SymbolWatch(watchNames.Keys) : null;
        for (int i = 0; i < machine.Cores.Count; i++)
        {
            var core = machine.Cores[i];
            int index = i; // the lambdas below run after the loop: capture this CPU's index, not the loop variable
            trackers[i] = new FunctionTracker(i, watchNames, trace);
            CompositeCpuObserver.Attach(core, trackers[i]);
            if (trace is not null)
            {
                var view = new Stress.GuestMemoryView(core);
                CompositeCpuObserver.Attach(core, new TraceCpuObserver(trace, () => core.SimulatedNanoseconds, _ => index,
                    (c, a) => view.TryRead64(a, out var v) ? v : null));
                if (core.IsBsp) trace.CpuStarted(i, (int)apicIds[i], CpuRole.Bsp, 0, "reset");
            }
            core.Watch = watch;
        }

        var result = RunMachine(machine, options, trace, err);
        wall.Stop();
        stopped?.Invoke();
        var cpus = machine.Cores.Select((c, i) => CpuReadback.Of(i, c)).ToArray();
        bool exported = true;
        if (trace is not null)
        {
            foreach (var cpu in cpus)
                if (trace.CpuSpan(cpu.Cpu) is not null) trace.SetCpuAttributes(cpu.Cpu, cpu.TraceAttributes());
            trace.SetMachineAttribute("stop.reason", result.Reason.ToString());
            exported = new TelemetrySink(options.Trace, err) { Command = options.Command }.Export(trace, result.SimulatedNanoseconds, wall.Elapsed);
        }

        return new GuestSessionResult(result, cpus, trackers, wall.Elapsed, trace, exported);
    }

    // The CPU that entered panic() (the first, if several did), or 0 when none was seen (no symbols).
    private static int PanickedCpu(FunctionTracker[] trackers) => Math.Max(0, Array.FindIndex(trackers, t => t?.PhaseBeforePanic is not null));

    private static string PanicReason(FunctionTracker[] trackers, string line)
    {
        int cpu = Array.FindIndex(trackers, t => t?.PhaseBeforePanic is not null);
        return cpu < 0
            ? $"'{line}' (without --symbols the CPU that panicked is not known)"
            : $"'{line}'; CPU{cpu} entered panic() after {trackers[cpu].PhaseBeforePanic}, the last watched function before it";
    }

    // Under gdb (--gdb) the stub drives the run, stopping it whenever gdb asks; otherwise it runs to its end.
    private static MachineResult RunMachine(Machine machine, GuestSessionOptions options, BootTrace? trace, TextWriter err)
    {
        if (options.Trace.Gdb is not { } gdb) return machine.Run();
        using var stub = Gdb.GdbStub.Start(gdb, machine, trace, options.Command, TextWriter.Synchronized(err));
        return stub.Drive();
    }

    // The parallel dispatcher may run the BIOS's teletype output and a CPU's COM1 write at once; the console
    // (Com1Sink) takes one writer at a time.
    private static Action<byte> Serialized(Action<byte> console)
    {
        var gate = new Lock();
        return b =>
        {
            lock (gate) console(b);
        };
    }

    // Guest RAM is the one allocation that scales with an option; the host refusing it (the memory layer's
    // GuestMemoryUnavailableException) is the user's --memory being too large for this host, not a simulator bug.
    private static Machine Create(MachineConfig config)
    {
        try
        {
            return new Machine(config);
        }
        catch (GuestMemoryUnavailableException ex)
        {
            throw new GuestRamUnavailableException(config.MemoryMiB, ex);
        }
    }
}
