using Smp.Actors;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Apic;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Platform;

/// <summary>
/// A simulated multi-CPU PC as actors: a monitor, the memory controller, the BIOS, the APIC bus and one
/// <see cref="CpuActor"/> per CPU, over the <see cref="PcPlatform"/> devices. <see cref="Run"/> drives simulated
/// time until the guest writes the debug-exit port, a CPU shuts down, the instruction budget runs out, every
/// CPU is idle with nothing pending, or an actor fails. With the deterministic dispatcher (the default) the same
/// configuration gives the same COM1 output and message log.
/// </summary>
public sealed class Machine : IDisposable
{
    private readonly IActorRef[] _cpuActors;

    /// <summary>Builds the machine (nothing runs until <see cref="Run"/>).</summary>
    /// <param name="config">The configuration.</param>
    public Machine(MachineConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.Cpus, 1, nameof(config.Cpus));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(config.Cpus, MachineConfig.MaxCpus, nameof(config.Cpus));
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MemoryMiB, 2, nameof(config.MemoryMiB));
        Config = config;
        var console = config.Console ?? (_ => { });
        Platform = new PcPlatform(config.Cpus, (ulong)config.MemoryMiB << 20, console, testDevices: config.TestDevices);
        Memory = MemoryLayout.Build(Platform, config.RomImage, DeviceLock);
        Control = new RunControl(config.MaxInstructions);
        Platform.DebugExit.ExitRequested += Control.RequestExit;

        System = new ActorSystem("machine", new ActorSystemOptions
        {
            Quantum = config.Quantum,
            Dispatcher = config.Parallel ? new ParallelDispatcher() : new DeterministicDispatcher(),
            Recorder = config.Recorder,
        });
        System.Failed += _ => Control.Finish(StopReason.ActorFailure);

        var cores = new CpuCore[config.Cpus];
        var apics = new LocalApic[config.Cpus];
        _cpuActors = new IActorRef[config.Cpus];
        Monitor = System.ActorOf(Props.Create(() => new MachineMonitorActor(Control)), "monitor");
        MemoryController = System.ActorOf(Props.Create(() => new MemoryControllerActor(Memory, Platform.Map)), "memory");
        var biosFactory = config.BiosServices;
        var disk = config.Disk;
        var kernel = config.Kernel;
        Bios = System.ActorOf(
            Props.Create(() => new BiosActor(
                e820 => biosFactory is null ? new LoggingBiosServices() : biosFactory(new BiosServicesContext(Memory, e820, disk, console, config.Cpus, Platform, kernel)),
                MemoryController)),
            "bios");
        var tscDomain = new TscDomain();   // one ordered TSC for all CPUs (invariant TSC across packages)
        var apicIds = new uint[config.Cpus];
        for (int i = 0; i < config.Cpus; i++) apicIds[i] = Platform.ApicIds[i];
        long latency = config.BusLatency;
        Bus = System.ActorOf(Props.Create(() => new ApicBusActor(_cpuActors, apicIds, latency, config.Observer)), "apicbus");

        for (int i = 0; i < config.Cpus; i++)
        {
            var core = new CpuCore(Memory, null, Platform.ApicIds[i], isBsp: i == 0)
            {
                CyclesPerInstruction = config.CyclesPerInstruction,
                FrequencyHz = config.FrequencyHz,
                TscDomain = tscDomain,
            };
            var apic = new LocalApic(Platform.ApicIds[i], () => core.SimulatedNanoseconds);
            if (i == 0)
            {
                apic.ExtIntSource = new PicExtIntSource(Platform.Pic, DeviceLock);
                if (config.VirtualWireAtReset) apic.EnterVirtualWireMode();
            }

            var wiring = new CpuWiring
            {
                Bus = Bus,
                Bios = Bios,
                Monitor = Monitor,
                Control = Control,
                Ports = Platform.Ports,
                ClockedPlatform = i == 0 ? Platform : null,
                DeviceLock = DeviceLock,
                Observer = config.Observer,
                LevelEoi = vector =>
                {
                    lock (DeviceLock) Platform.IoApic.EndOfInterrupt((byte)vector);
                },
            };
            int index = i;
            _cpuActors[i] = System.ActorOf(Props.Create(() => new CpuActor(index, core, apic, wiring)), $"cpu{i}");
            cores[i] = core;
            apics[i] = apic;
        }

        Cores = cores;
        Apics = apics;
        var bspCore = cores[0];
        Platform.ExtIntAccepted = () => (bspCore.RflagsBits & Rflags.IF) != 0;
        var bsp = _cpuActors[0];
        var bus = Bus;
        Platform.Pic.InterruptChanged += level => bsp.Tell(new ExtIntChanged(level));
        if (Platform.Testdev is { } testdev) testdev.PageFlushRequested += FlushPage;
        Platform.IoApic.InterruptRequested += interrupt => bus.Tell(interrupt);
    }

    /// <summary>The configuration.</summary>
    public MachineConfig Config { get; }

    /// <summary>The actor system (its clock is the machine's simulated time).</summary>
    public ActorSystem System { get; }

    /// <summary>The physical address space.</summary>
    public PhysicalMemory Memory { get; }

    /// <summary>The devices.</summary>
    public PcPlatform Platform { get; }

    /// <summary>The shared budget and stop state.</summary>
    public RunControl Control { get; }

    /// <summary>The lock that serialises device access between CPU actors.</summary>
    public Lock DeviceLock { get; } = new();

    /// <summary>The CPU cores, by index (0 is the BSP).</summary>
    public IReadOnlyList<CpuCore> Cores { get; }

    /// <summary>The local APICs, by CPU index.</summary>
    public IReadOnlyList<LocalApic> Apics { get; }

    /// <summary>The CPU actors, by index.</summary>
    public IReadOnlyList<IActorRef> CpuActors => _cpuActors;

    /// <summary>The APIC bus actor.</summary>
    public IActorRef Bus { get; }

    /// <summary>The BIOS actor.</summary>
    public IActorRef Bios { get; }

    /// <summary>The memory controller actor.</summary>
    public IActorRef MemoryController { get; }

    /// <summary>The monitor actor.</summary>
    public IActorRef Monitor { get; }

    /// <summary>Powers the machine on (the BSP starts at the reset vector) and runs until a stop condition.</summary>
    /// <returns>How the run ended.</returns>
    public MachineResult Run()
    {
        _cpuActors[0].Tell(new RunQuantum(Config.Quantum));
        var result = Config.MaxSimulatedTime is { } limit ? System.RunUntil(limit) : System.RunUntilIdle();
        Control.Finish(result switch
        {
            RunResult.Failed => StopReason.ActorFailure,
            RunResult.TimeLimitReached => StopReason.TimeLimit,
            RunResult.Idle => StopReason.AllIdle,
            _ => StopReason.None,
        });
        return Summarize();
    }

    /// <summary>Every CPU's current state.</summary>
    /// <returns>The summaries, by CPU index.</returns>
    public MachineResult Summarize()
    {
        var cpus = new CpuSummary[Cores.Count];
        // An idle machine ends when its last CPU went idle, not where the scheduler's clock stopped looking.
        long time = Control.Reason == StopReason.AllIdle ? 0 : System.Now;
        for (int i = 0; i < cpus.Length; i++)
        {
            var c = Cores[i];
            cpus[i] = new CpuSummary(i, c.ApicId, c.State, c.Mode, c.Segs[Seg.CS].Selector, c.Rip, c.InstructionsRetired, c.SimulatedNanoseconds);
            time = Math.Max(time, c.SimulatedNanoseconds);
        }

        return new MachineResult(Control.Reason, Control.ExitCode, cpus, time, Control.Executed, System.QuantaProcessed, Control.ShutdownCpu, Control.ShutdownReason, System.Failure);
    }

    // pc-testdev's flush page: the page's decoded code goes stale on every CPU, and every CPU drops its cached
    // translations (a superset of the page's; the SDM lets a processor drop TLB entries at any time, Vol. 3A 4.10.2).
    // Called under the device lock by the CPU that wrote the port.
    // TODO(robust-core): use PhysicalMemory.InvalidateCode(address, 4096) once its per-line invalidation is merged.
    private void FlushPage(ulong address)
    {
        Memory.InvalidateCodePage(address >> 12);
        foreach (var core in Cores) core.FlushTlb();
    }

    /// <summary>Stops the actors and frees guest memory.</summary>
    public void Dispose()
    {
        System.Dispose();
        Memory.Dispose();
    }

    private sealed class LoggingBiosServices : IBiosServices
    {
        public void Handle(int cpu, ushort trapPort, ref BiosRegisters registers) => registers.Carry = true;
    }
}
