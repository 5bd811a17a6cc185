using Akka.Actor;
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
/// CPU is idle with nothing pending, or an actor fails. In deterministic mode (the default) the same
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
        var screen = config.Screen ?? (_ => { });
        Platform = new PcPlatform(config.Cpus, (ulong)config.MemoryMiB << 20, console, testDevices: config.TestDevices);
        Memory = MemoryLayout.Build(Platform, config.RomImage, DeviceLock);
        Control = new RunControl(config.MaxInstructions);
        Platform.DebugExit.ExitRequested += Control.RequestExit;
        Platform.PowerOffRequested += Control.RequestPowerOff;
        Platform.ResetRequested += Control.RequestReset;

        Simulation = new Simulation("machine", new SimulationOptions
        {
            Quantum = config.Quantum,
            Mode = config.Parallel ? SimulationMode.Parallel : SimulationMode.Deterministic,
            Recorder = config.Recorder,
            FaultInjection = config.FaultInjection,
        }, config.ActorSystem);
        Simulation.Failed += _ => Control.Finish(StopReason.ActorFailure);

        var cores = new CpuCore[config.Cpus];
        var apics = new LocalApic[config.Cpus];
        _cpuActors = new IActorRef[config.Cpus];
        // Akka's Props.Create reads constructor arguments from the expression: plain locals keep that a field read.
        var control = Control;
        var memory = Memory;
        var map = Platform.Map;
        Monitor = Simulation.ActorOf(Props.Create(() => new MachineMonitorActor(control)), "monitor");
        MemoryController = Simulation.ActorOf(Props.Create(() => new MemoryControllerActor(memory, map)), "memory");
        var biosFactory = config.BiosServices;
        var disk = config.Disk;
        var kernel = config.Kernel;
        var platform = Platform;
        Func<IReadOnlyList<E820Entry>, IBiosServices> services = biosFactory is null
            ? _ => new LoggingBiosServices()
            : e820 => biosFactory(new BiosServicesContext(memory, e820, disk, screen, config.Cpus, platform, kernel));
        var memoryController = MemoryController;
        Bios = Simulation.ActorOf(Props.Create(() => new BiosActor(services, memoryController)), "bios");
        var tscDomain = new TscDomain();   // one ordered TSC for all CPUs (invariant TSC across packages)
        var apicIds = new uint[config.Cpus];
        for (int i = 0; i < config.Cpus; i++) apicIds[i] = Platform.ApicIds[i];
        long latency = config.BusLatency;
        var cpuActors = _cpuActors;
        var observer = config.Observer;
        Bus = Simulation.ActorOf(Props.Create(() => new ApicBusActor(cpuActors, apicIds, latency, observer)), "apicbus");

        for (int i = 0; i < config.Cpus; i++)
        {
            var core = new CpuCore(Memory, null, Platform.ApicIds[i], isBsp: i == 0)
            {
                CyclesPerInstruction = config.CyclesPerInstruction,
                FrequencyHz = config.FrequencyHz,
                TscDomain = tscDomain,
                CoresPerPackage = CoresPerPackage(config.Cpus),
            };
            var apic = new LocalApic(Platform.ApicIds[i], () => core.SimulatedNanoseconds);
            if (i == 0)
            {
                // The boot CPU's FERR# drives IRQ 13; a port F0h write answers with IGNNE# (SDM Vol. 1 Appendix D.3).
                core.FerrChanged += level => { lock (DeviceLock) Platform.CoprocessorError.SetFerr(level); };
                Platform.CoprocessorError.IgnneChanged += level => core.Ignne = level;
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
                DevicesShared = config.Parallel,
                RunAhead = config.RunAhead,
                Observer = config.Observer,
                LevelEoi = vector =>
                {
                    lock (DeviceLock) Platform.IoApic.EndOfInterrupt((byte)vector);
                },
            };
            int index = i;
            _cpuActors[i] = Simulation.ActorOf(Props.Create(() => new CpuActor(index, core, apic, wiring)), $"cpu{i}");
            cores[i] = core;
            apics[i] = apic;
        }

        Cores = cores;
        Apics = apics;
        var bspCore = cores[0];
        Platform.ExtIntAccepted = () => (bspCore.RflagsBits & Rflags.IF) != 0;
        var bsp = _cpuActors[0];
        var bus = Bus;
        var simulation = Simulation;
        // Device outputs change inside a CPU actor's port or MMIO access: Simulation.Tell stamps them with that CPU's time.
        Platform.Pic.InterruptChanged += level => simulation.Tell(bsp, new ExtIntChanged(level));
        if (Platform.Testdev is { } testdev) testdev.PageFlushRequested += FlushPage;
        Platform.IoApic.InterruptRequested += interrupt => simulation.Tell(bus, interrupt);
        // A device reprogrammed by any CPU may now have an earlier event: the BSP's actor, which advances the
        // platform, re-arms its wake-up. The A20 gate reaches every CPU.
        Platform.EventsRescheduled += () => simulation.Tell(bsp, new DeviceEventDue());
        Platform.A20Changed += on =>
        {
            foreach (var core in cores) core.A20Mask = on ? ulong.MaxValue : ~(1UL << 20);
        };
    }

    /// <summary>
    /// The cores CPUID reports per package: every CPU of the machine in one package (APIC IDs are consecutive from 0),
    /// as QEMU's pc lays out <c>-smp N</c>, up to 64 cores per package, the most CPUID.04H:EAX[31:26] can count.
    /// </summary>
    /// <param name="cpus">The machine's CPUs.</param>
    /// <returns>Cores per package.</returns>
    public static int CoresPerPackage(int cpus) => Math.Min(cpus, 64);

    /// <summary>The configuration.</summary>
    public MachineConfig Config { get; }

    /// <summary>The simulation on Akka.NET whose conductor's clock is the machine's simulated time.</summary>
    public Simulation Simulation { get; }

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
        PowerOn();
        return Continue(Config.MaxSimulatedTime);
    }

    /// <summary>Powers the machine on without running it: the BSP's first quantum is queued; <see cref="Continue"/> runs it.</summary>
    public void PowerOn() => Simulation.Tell(_cpuActors[0], new RunQuantum(Config.Quantum));

    /// <summary>The debugger attached with <see cref="AttachDebugger"/>, or null.</summary>
    public MachineDebugger? Debugger { get; private set; }

    /// <summary>
    /// Attaches a debugger (between runs): breakpoints, watchpoints, steps and pauses become possible. A machine without
    /// one pays nothing for them.
    /// </summary>
    /// <returns>The debugger's handle (the same one on every call).</returns>
    public MachineDebugger AttachDebugger() => Debugger ??= new MachineDebugger(this);

    /// <summary>
    /// Runs the machine on from where it is (after <see cref="Rewind"/>, with messages sent in, or after a debugger pause) until
    /// a stop condition, or until the attached debugger pauses it (<see cref="MachineDebugger.IsPaused"/>; pass the same limit
    /// to continue).
    /// </summary>
    /// <param name="until">A simulated-time limit in ns, or null for none.</param>
    /// <returns>How the run ended.</returns>
    public MachineResult Continue(long? until = null)
    {
        var result = until is { } limit ? Simulation.RunUntil(limit) : Simulation.RunUntilIdle();
        Control.Finish(result switch
        {
            RunResult.Failed => StopReason.ActorFailure,
            RunResult.TimeLimitReached => StopReason.TimeLimit,
            RunResult.Idle => StopReason.AllIdle,
            _ => StopReason.None,
        });
        return Summarize();
    }

    /// <summary>
    /// Returns the machine's actor side to a quiescent state at <paramref name="time"/>: the conductor's clock, no pending
    /// message or timer, no stop reason. Restoring a snapshot of a machine that was idle at <paramref name="time"/> (RAM and
    /// cores restored separately) and calling this makes a run from it replay exactly.
    /// </summary>
    /// <param name="time">The snapshot's simulated time, in nanoseconds.</param>
    public void Rewind(long time)
    {
        Simulation.Rewind(time);
        Control.Rearm();
    }

    /// <summary>
    /// Sends an NMI to CPU <paramref name="cpu"/> the way a chipset or another agent does: an NMI-mode message on the APIC
    /// bus, physical destination the CPU's APIC ID, arriving at simulated time <paramref name="at"/> (the bus delivers it at
    /// the next quantum boundary after its latency). Call it between runs.
    /// </summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="at">When the message enters the bus, in simulated ns.</param>
    public void SendNmi(int cpu, long at)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, Cores.Count);
        Simulation.TellAt(at, Bus, new Ipi(-1, ApicDestination.Physical((uint)Cores[cpu].ApicId), DeliveryMode.Nmi, 2, false, true));
    }

    /// <summary>Every CPU's current state.</summary>
    /// <returns>The summaries, by CPU index.</returns>
    public MachineResult Summarize()
    {
        var cpus = new CpuSummary[Cores.Count];
        // An idle machine ends when its last CPU went idle, not where the scheduler's clock stopped looking.
        long time = Control.Reason == StopReason.AllIdle ? 0 : Simulation.Now;
        for (int i = 0; i < cpus.Length; i++)
        {
            var c = Cores[i];
            cpus[i] = new CpuSummary(i, c.ApicId, c.State, c.Mode, c.Segs[Seg.CS].Selector, c.Rip, c.InstructionsRetired, c.SimulatedNanoseconds);
            time = Math.Max(time, c.SimulatedNanoseconds);
        }

        return new MachineResult(Control.Reason, Control.ExitCode, cpus, time, Control.Executed, Simulation.QuantaProcessed, Control.ShutdownCpu, Control.ShutdownReason, Simulation.Failure,
            Control.ResetSource);
    }

    // pc-testdev's flush page: the page's decoded code goes stale on every CPU, and every CPU drops its cached
    // translations (a superset of the page's; the SDM lets a processor drop TLB entries at any time, Vol. 3A 4.10.2).
    // Called under the device lock by the CPU that wrote the port.
    private void FlushPage(ulong address)
    {
        Memory.InvalidateCode(address, 4096);
        foreach (var core in Cores) core.FlushTlb();
    }

    /// <summary>Stops the actors and frees guest memory.</summary>
    public void Dispose()
    {
        Simulation.Dispose();
        Memory.Dispose();
    }

    private sealed class LoggingBiosServices : IBiosServices
    {
        public void Handle(int cpu, ushort trapPort, ref BiosRegisters registers) => registers.Carry = true;
    }
}
