using System.Text;
using Smp.Devices.Cpu;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Host.Firmware;
using Smp.Host.Guest;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Stress;

/// <summary>
/// A stress campaign's machine: the built-in kernel booted once on the actor machine (real BIOS) until
/// every CPU idles, captured as a <see cref="MachineSnapshot"/>, then any number of seeded scenarios, each
/// starting from that snapshot. A scenario drives the cores synchronously in lock-step slices with exact
/// instruction counts, injecting NMIs (at the core's NMI pin, as the CPU actor does for an NMI IPI),
/// TF and DR0–DR3 breakpoints per its <see cref="ScenarioPlan"/>; the <see cref="IstMonitor"/> watches,
/// and every violation gets an oops. The same seed gives the same result whatever ran before it.
/// </summary>
internal sealed partial class StressCampaign : IDisposable
{
    /// <summary>Instructions per CPU per lock-step slice.</summary>
    private const long Slice = 200;

    /// <summary>Instructions (all CPUs) a scenario may run after its last injection before it is cut off.</summary>
    public const long TailBudget = 30_000;

    /// <summary>A scenario stops once it has found this many violations (a broken handler can loop forever).</summary>
    public const int ViolationCap = 4;

    private readonly Machine _machine;
    private readonly MachineSnapshot _snapshot;
    private readonly KernelImage _kernel;
    private readonly SymbolTable _symbols;
    private readonly IstMonitor _monitor = new();
    private readonly CpuTracker[] _trackers;
    private readonly Dictionary<int, int> _indexOfApic = [];
    private readonly StackRegion[][] _stacks;
    private readonly ulong[] _nmiBaseline;
    private readonly StringBuilder _console = new();
    private readonly List<StressFinding> _violations = [], _expected = [];
    private ScenarioPlan? _plan;
    private bool _capped;

    /// <summary>Builds the kernel, boots it on <paramref name="cpus"/> CPUs until idle and takes the snapshot.</summary>
    /// <param name="handlers">The guest's NMI/#DB handler variant.</param>
    /// <param name="cpus">Logical CPUs (1–64).</param>
    /// <param name="recorder">Sees every message delivery of the machine (tests of the message path), or null.</param>
    /// <exception cref="InvalidOperationException">The boot did not bring every CPU to idle.</exception>
    public StressCampaign(HandlerVariant handlers, int cpus, Smp.Actors.IMessageRecorder? recorder = null)
    {
        Handlers = handlers;
        Cpus = cpus;
        _kernel = KernelImage.Build(new KernelOptions(handlers));
        _symbols = SymbolTable.FromKernel(_kernel.Symbols);
        _machine = new Machine(new MachineConfig
        {
            Cpus = cpus,
            MemoryMiB = 16,
            RomImage = SmpBiosFirmware.Rom,
            Disk = DiskImageSource.FromBytes(_kernel.Disk),
            BiosServices = SmpBiosFirmware.CreateServices,
            Console = b => _console.Append((char)b),
            Recorder = recorder,
        });
        var boot = _machine.Run();
        ulong online = _machine.Memory.Read(_kernel.CpuOnlineMaskAddress, 8);
        ulong all = cpus == 64 ? ulong.MaxValue : (1UL << cpus) - 1;
        if (boot.Reason != StopReason.AllIdle || online != all)
            throw new InvalidOperationException($"the stress boot did not bring all {cpus} CPUs to idle (stop: {boot.Reason}, online mask 0x{online:x})");
        BootConsole = _console.ToString();
        _console.Clear();

        var doNmi = Address("do_nmi");
        var watch = new SymbolWatch([doNmi]);
        _trackers = new CpuTracker[cpus];
        _stacks = new StackRegion[cpus][];
        _nmiBaseline = new ulong[cpus];
        for (int i = 0; i < cpus; i++)
        {
            var core = _machine.Cores[i];
            _indexOfApic[core.ApicId] = i;
            _trackers[i] = new CpuTracker(this, i, doNmi);
            CompositeCpuObserver.Attach(core, _monitor);
            CompositeCpuObserver.Attach(core, _trackers[i]);
            core.Watch = watch;
            foreach (var g in KernelImage.GuardPages(i)) _monitor.AddGuardRange(g.Start, g.End);
            var hole = KernelImage.GuardHoleRange(i);
            _monitor.AddGuardRange(hole.Start, hole.End);
            var db = KernelImage.DbStackRanges(i);
            _stacks[i] =
            [
                Region("NMI", KernelImage.NmiStackRange(i)), Region("#DB", db[0]), Region("DB1", db[1]),
                Region("#DF", KernelImage.DfStackRange(i)), Region("#MC", KernelImage.McStackRange(i)), Region("TASK", KernelImage.TaskStackRange(i)),
            ];
            _nmiBaseline[i] = _machine.Memory.Read(KernelImage.NmiCountAddress(i), 8);
        }
        _monitor.Detected += OnDetected;
        _snapshot = MachineSnapshot.Capture(_machine);
        Targets = new ScenarioTargets(doNmi, Address("nmi_handle"), Address("do_debug"), KernelImage.NmiTouchVarAddress);
    }

    /// <summary>The guest handler variant.</summary>
    public HandlerVariant Handlers { get; }

    /// <summary>The number of CPUs.</summary>
    public int Cpus { get; }

    /// <summary>What the guest printed while booting.</summary>
    public string BootConsole { get; }

    /// <summary>The addresses scenarios aim at.</summary>
    public ScenarioTargets Targets { get; }

    /// <summary>RAM pages the last restore copied back.</summary>
    public int LastRestoredPages { get; private set; }

    /// <summary>Runs one seed of <paramref name="scenario"/> (a name or <c>all</c>) from the snapshot.</summary>
    public SeedResult Run(ulong seed, string scenario)
    {
        var plan = StressScenarios.Plan(scenario, seed, Cpus, Targets);
        long executed = Execute(plan, out bool finished);
        if (finished && !_capped) CheckNmiContract();
        var depth = (long[])_monitor.DeliveriesByDepth.Clone();
        return new SeedResult(seed, plan.Name, plan.Describe(), plan.Injections, [.. _violations], [.. _expected], depth, executed, finished,
            _console.ToString());
    }

    /// <summary>Reads a u64 of guest RAM as the last scenario left it (until the next <see cref="Run"/> restores it).</summary>
    /// <param name="address">A physical address.</param>
    /// <returns>The value.</returns>
    public ulong ReadGuest(ulong address) => _machine.Memory.Read(address, 8);

    /// <summary>Frees the machine and the snapshot.</summary>
    public void Dispose()
    {
        _snapshot.Dispose();
        _machine.Dispose();
    }

    private ulong Address(string symbol) =>
        _kernel.Find(symbol)?.Address ?? throw new InvalidOperationException($"the kernel has no symbol {symbol}");

    private static StackRegion Region(string label, AddressRange r) => new(label, r.Start, r.End);

    // Ends the scenario: the NMI contract per CPU (every delivered NMI followed by a do_nmi run;
    // NMIs merged by the Linux scheme while a repeat is pending count once), via the monitor's counter check.
    private void CheckNmiContract()
    {
        for (int i = 0; i < Cpus; i++)
        {
            var core = _machine.Cores[i];
            _monitor.ExpectCounter(core, KernelImage.NmiCountAddress(i), (long)_nmiBaseline[i] + _trackers[i].ExpectedRuns);
        }
    }
}
