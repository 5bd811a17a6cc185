using Akka.Actor;
using Smp.Actors;
using Smp.Devices.Platform.Apic;

namespace Smp.Devices.Platform.Actors;

/// <summary>
/// The APIC bus: routes <see cref="Ipi"/>s from local APICs and <see cref="IoApicInterrupt"/>s from the I/O APIC
/// to CPU actors by physical ID (0xFF broadcast), logical destination (flat and cluster models, x2APIC clusters)
/// or shorthand, after <c>latency</c> ns of simulated time. It learns each APIC's ID/LDR/DFR/TPR from
/// <see cref="LocalApicState"/> messages. Unlike QEMU, logical delivery reaches every matching CPU even when
/// APIC IDs have gaps (fact sheet G.6). Lowest-priority messages go to the enabled target with the lowest TPR,
/// ties to the lowest APIC ID (deterministic; SDM Vol. 3A §10.6.2.4 leaves the choice to the hardware).
/// </summary>
public sealed class ApicBusActor : SimActor
{
    private readonly IReadOnlyList<IActorRef> _cpus;
    private readonly LocalApicState[] _state;
    private readonly long _latency;
    private readonly List<int> _targets = [];

    /// <summary>Creates the bus for <paramref name="cpus"/> whose initial APIC IDs are <paramref name="apicIds"/>.</summary>
    /// <param name="cpus">The CPU actors, by CPU index.</param>
    /// <param name="apicIds">Their initial APIC IDs.</param>
    /// <param name="latency">The bus latency in simulated nanoseconds.</param>
    /// <param name="observer">Told of every routed interrupt (telemetry), or null.</param>
    public ApicBusActor(IReadOnlyList<IActorRef> cpus, IReadOnlyList<uint> apicIds, long latency, IMachineObserver? observer = null)
    {
        _observer = observer;
        _cpus = cpus; // read at routing time: the machine fills it after spawning the CPUs
        _latency = latency;
        _state = new LocalApicState[apicIds.Count];
        for (int i = 0; i < _state.Length; i++) _state[i] = new LocalApicState(i, apicIds[i], 0, 0xFFFF_FFFF, 0, true, false);
        Receive<LocalApicState>(s => _state[s.Cpu] = s);
        Receive<Ipi>(Route);
        Receive<IoApicInterrupt>(i => Route(new Ipi(
            -1,
            new ApicDestination(DestinationShorthand.None, i.Logical, i.Destination),
            (DeliveryMode)(int)i.DeliveryMode,
            i.Vector,
            i.LevelTriggered,
            true)));
    }

    /// <summary>SMI and ExtINT messages seen (not modelled: dropped).</summary>
    public int Dropped { get; private set; }

    private void Route(Ipi ipi)
    {
        _routingSource = -1;
        for (int i = 0; i < _state.Length; i++)
            if (ipi.SourceApicId >= 0 && _state[i].ApicId == (uint)ipi.SourceApicId) _routingSource = i;
        if (ipi.Mode == DeliveryMode.Init && ipi.Level && !ipi.Assert)
        {
            // INIT level de-assert goes to every processor whatever the destination (SDM Vol. 3A §10.6.1).
            for (int i = 0; i < _state.Length; i++) Send(i, new InitDeassert());
            return;
        }

        Match(ipi);
        switch (ipi.Mode)
        {
            case DeliveryMode.Fixed:
                foreach (int t in _targets) Send(t, new FixedInterrupt(ipi.Vector, ipi.Level), ipi.Mode, ipi.Vector);
                break;
            case DeliveryMode.LowestPriority:
                int chosen = -1;
                foreach (int t in _targets)
                {
                    var s = _state[t];
                    if (!s.Enabled) continue;
                    if (chosen < 0 || s.Tpr < _state[chosen].Tpr || (s.Tpr == _state[chosen].Tpr && s.ApicId < _state[chosen].ApicId)) chosen = t;
                }

                if (chosen >= 0) Send(chosen, new FixedInterrupt(ipi.Vector, ipi.Level), ipi.Mode, ipi.Vector);
                break;
            case DeliveryMode.Nmi:
                foreach (int t in _targets) Send(t, new NmiIpi(), ipi.Mode, 2);
                break;
            case DeliveryMode.Init:
                foreach (int t in _targets) Send(t, new InitIpi(), ipi.Mode, 0);
                break;
            case DeliveryMode.StartUp:
                foreach (int t in _targets) Send(t, new StartupIpi(ipi.Vector), ipi.Mode, ipi.Vector);
                break;
            default:
                Dropped++;
                break;
        }
    }

    private void Send(int cpu, object message) => Sim.ScheduleTell(_latency, _cpus[cpu], message);

    private readonly IMachineObserver? _observer;
    private int _routingSource = -1;

    // Reports a routed interrupt to the observer before it is sent.
    private void Send(int cpu, object message, DeliveryMode mode, int vector)
    {
        _observer?.IpiRouted(_routingSource, cpu, mode, vector, Sim.Now, Sim.Now + _latency);
        Send(cpu, message);
    }

    private void Match(Ipi ipi)
    {
        _targets.Clear();
        var d = ipi.Destination;
        bool sourceX2 = false;
        for (int i = 0; i < _state.Length; i++)
            if (_state[i].ApicId == (uint)ipi.SourceApicId) sourceX2 = _state[i].X2Apic;
        for (int i = 0; i < _state.Length; i++)
        {
            var s = _state[i];
            bool self = ipi.SourceApicId >= 0 && s.ApicId == (uint)ipi.SourceApicId;
            bool hit = d.Shorthand switch
            {
                DestinationShorthand.Self => self,
                DestinationShorthand.AllIncludingSelf => true,
                DestinationShorthand.AllExcludingSelf => !self,
                _ => d.Logical ? LogicalMatch(s, d.Id) : d.Id == (sourceX2 ? 0xFFFF_FFFFu : 0xFFu) || s.ApicId == d.Id,
            };
            if (hit) _targets.Add(i);
        }
    }

    // SDM Vol. 3A §10.6.2.2 (flat and cluster models) and §10.12.10.2 (x2APIC logical mode).
    private static bool LogicalMatch(LocalApicState s, uint mda)
    {
        if (s.X2Apic)
        {
            return mda == 0xFFFF_FFFF || ((mda >> 16) == (s.Ldr >> 16) && (mda & s.Ldr & 0xFFFF) != 0);
        }

        mda &= 0xFF;
        uint logicalId = s.Ldr >> 24;
        if (mda == 0xFF) return true;
        if ((s.Dfr >> 28) == 0xF) return (logicalId & mda) != 0;
        bool clusterMatches = (mda >> 4) == 0xF || (mda >> 4) == (logicalId >> 4);
        return clusterMatches && (logicalId & mda & 0xF) != 0;
    }
}
