using Smp.Actors;
using Smp.Host.Guest;
using Smp.Host.Stress;

namespace Smp.Host.Tests.Stress;

/// <summary>
/// The message path of stress injections: after a snapshot restore (RAM, cores and the conductor's clock) an NMI enters
/// the APIC bus as a message and reaches the CPU actor, and a seed replays exactly, message log included.
/// </summary>
public sealed class ActorInjectionTests
{
    [Fact]
    public void Nmis_sent_through_the_apic_bus_run_do_nmi_on_their_cpu_and_a_seed_replays_exactly()
    {
        var log = new MessageLog();
        using var campaign = new StressCampaign(HandlerVariant.Linux, 2, log);
        var booted = log.Entries.Count;

        var first = campaign.RunThroughActors(3, "nmi-burst");
        var firstLog = log.Entries.Skip(booted).ToList();
        campaign.RunThroughActors(4, "nmi-burst");
        campaign.Run(5, "nmi-after-bp-iret"); // the direct engine in between: the restore rewinds the conductor too
        int mark = log.Entries.Count;
        var replay = campaign.RunThroughActors(3, "nmi-burst");
        var replayLog = log.Entries.Skip(mark).ToList();

        Assert.True(first.Finished);
        Assert.Empty(first.Violations);
        Assert.Contains(firstLog, e => e.SenderPath == "-" && e.ReceiverPath == "/apicbus" && e.Message.Contains("Mode = Nmi", StringComparison.Ordinal));
        Assert.Contains(firstLog, e => e.SenderPath == "/apicbus" && e.Message == "NmiIpi { }");
        Assert.True(first.DeliveriesByDepth.Sum() > 0);
        Assert.Equal(first.Plan, replay.Plan);
        Assert.Equal(first.Instructions, replay.Instructions);
        Assert.Equal(first.DeliveriesByDepth, replay.DeliveriesByDepth);
        Assert.Equal(firstLog, replayLog);
    }
}
