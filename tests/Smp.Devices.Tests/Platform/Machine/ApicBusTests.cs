using Akka.Actor;
using Smp.Actors;
using Smp.Actors.TestKit;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Apic;

namespace Smp.Devices.Tests.Platform.Pc;

public sealed class ApicBusTests : IDisposable
{
    private static readonly uint[] Ids = [0, 2, 5, 9]; // gaps in the APIC IDs
    private readonly SimTestKit _kit = new();
    private readonly SimTestProbe[] _cpus;
    private readonly IActorRef _bus;

    public ApicBusTests()
    {
        _cpus = [.. Enumerable.Range(0, Ids.Length).Select(i => _kit.CreateTestProbe($"cpu{i}"))];
        IActorRef[] refs = [.. _cpus.Select(p => p.Ref)];
        _bus = _kit.Sim.ActorOf(Props.Create(() => new ApicBusActor(refs, Ids, 500)), "bus");
    }

    public void Dispose() => _kit.Dispose();

    private void Send(object message) => _kit.Sim.Tell(_bus, message);

    private void ExpectOnly(object expected, params int[] targets)
    {
        foreach (int t in targets) _cpus[t].ExpectMsg(expected);
        for (int i = 0; i < _cpus.Length; i++) _cpus[i].ExpectNoMsg(i == 0 ? 2000 : 0);
    }

    private static Ipi Fixed(int source, ApicDestination d, int vector = 0x40) => new(source, d, DeliveryMode.Fixed, vector, false, true);

    [Fact]
    public void Physical_destination_reaches_one_cpu_after_the_latency()
    {
        Send(Fixed(0, ApicDestination.Physical(5)));
        var message = _cpus[2].ExpectMsg(new FixedInterrupt(0x40, false));
        Assert.Equal(1000, _cpus[2].LastMessageTime); // 500 ns latency, but never before the next quantum boundary
        ExpectOnly(message);
    }

    [Fact]
    public void Physical_broadcast_reaches_every_cpu()
    {
        Send(Fixed(0, ApicDestination.Physical(0xFF)));
        ExpectOnly(new FixedInterrupt(0x40, false), 0, 1, 2, 3);
    }

    [Fact]
    public void Flat_logical_destination_reaches_every_match_despite_id_gaps()
    {
        for (int i = 0; i < Ids.Length; i++) Send(new LocalApicState(i, Ids[i], 1u << (24 + i), 0xFFFF_FFFF, 0, true, false));
        Send(Fixed(0, ApicDestination.LogicalMda(0x0E)));
        ExpectOnly(new FixedInterrupt(0x40, false), 1, 2, 3);
    }

    [Fact]
    public void Cluster_logical_destination_matches_cluster_and_member_bits()
    {
        uint[] logical = [0x11, 0x12, 0x21, 0x22];
        for (int i = 0; i < Ids.Length; i++) Send(new LocalApicState(i, Ids[i], logical[i] << 24, 0x0FFF_FFFF, 0, true, false));
        Send(Fixed(0, ApicDestination.LogicalMda(0x13)));
        ExpectOnly(new FixedInterrupt(0x40, false), 0, 1);
        Send(Fixed(0, ApicDestination.LogicalMda(0xF1)));
        ExpectOnly(new FixedInterrupt(0x40, false), 0, 2);
    }

    [Fact]
    public void Shorthands_self_all_and_all_but_self()
    {
        Send(Fixed(2, ApicDestination.To(DestinationShorthand.Self)));
        ExpectOnly(new FixedInterrupt(0x40, false), 1);
        Send(Fixed(0, ApicDestination.To(DestinationShorthand.AllExcludingSelf)));
        ExpectOnly(new FixedInterrupt(0x40, false), 1, 2, 3);
        Send(Fixed(9, ApicDestination.To(DestinationShorthand.AllIncludingSelf)));
        ExpectOnly(new FixedInterrupt(0x40, false), 0, 1, 2, 3);
    }

    [Fact]
    public void Lowest_priority_picks_the_lowest_tpr_then_the_lowest_id()
    {
        uint[] tpr = [0x20, 0x10, 0x10, 0x30];
        for (int i = 0; i < Ids.Length; i++) Send(new LocalApicState(i, Ids[i], 0, 0xFFFF_FFFF, tpr[i], true, false));
        Send(new Ipi(0, ApicDestination.Physical(0xFF), DeliveryMode.LowestPriority, 0x50, false, true));
        ExpectOnly(new FixedInterrupt(0x50, false), 1);
    }

    [Fact]
    public void Init_sipi_nmi_and_init_deassert_are_routed()
    {
        Send(new Ipi(0, ApicDestination.Physical(9), DeliveryMode.Init, 0, false, true));
        ExpectOnly(new InitIpi(), 3);
        Send(new Ipi(0, ApicDestination.Physical(9), DeliveryMode.StartUp, 0x9A, false, true));
        ExpectOnly(new StartupIpi(0x9A), 3);
        Send(new Ipi(0, ApicDestination.Physical(2), DeliveryMode.Nmi, 0, false, true));
        ExpectOnly(new NmiIpi(), 1);
        Send(new Ipi(0, ApicDestination.Physical(9), DeliveryMode.Init, 0, true, false));
        ExpectOnly(new InitDeassert(), 0, 1, 2, 3);
    }

    [Fact]
    public void Io_apic_messages_are_routed_like_ipis()
    {
        Send(new IoApicInterrupt(0x61, IoApicDeliveryMode.Fixed, 5, false, true, 4));
        ExpectOnly(new FixedInterrupt(0x61, true), 2);
    }
}
