using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class TimerTests
{
    private sealed record StartSingle(long Delay);

    private sealed record StartPeriodic(long Interval);

    private sealed record CancelTimer;

    /// <summary>What the timer user reports: the timer's message and the time the actor received it.</summary>
    private sealed record Fired(string Text, long At);

    private sealed class TimerUser : SimActor
    {
        public TimerUser(IActorRef probe)
        {
            Receive<StartSingle>(s => Timers.StartSingle("t", new Note("single"), s.Delay));
            Receive<StartPeriodic>(p => Timers.StartPeriodic("t", new Note("tick"), p.Interval));
            Receive<CancelTimer>(_ => Timers.Cancel("t"));
            Receive<Note>(n =>
            {
                Assert.Equal(Self, Sender);
                Sim.Tell(probe, new Fired(n.Text, Sim.Now));
            });
        }
    }

    [Fact]
    public void A_single_timer_fires_once_after_its_delay()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var actor = kit.Sim.ActorOf(Props.Create(() => new TimerUser(probe.Ref)), "timers");

        kit.Sim.Tell(actor, new StartSingle(10 * SimTime.Microsecond));
        var fired = probe.ExpectMsg<Fired>();

        Assert.Equal(new Fired("single", 10 * SimTime.Microsecond), fired);
        probe.ExpectNoMsg(SimTime.Millisecond);
    }

    [Fact]
    public void A_periodic_timer_fires_every_interval_until_cancelled()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var actor = kit.Sim.ActorOf(Props.Create(() => new TimerUser(probe.Ref)), "timers");

        kit.Sim.Tell(actor, new StartPeriodic(5 * SimTime.Microsecond));
        var times = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            times.Add(probe.ExpectMsg<Fired>(f => f.Text == "tick").At);
        }

        Assert.Equal([5_000L, 10_000L, 15_000L], times);

        kit.Sim.Tell(actor, new CancelTimer());
        probe.ExpectNoMsg(SimTime.Millisecond);
        Assert.True(kit.Sim.IsIdle);
    }

    [Fact]
    public void A_cancelled_single_timer_never_fires()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var actor = kit.Sim.ActorOf(Props.Create(() => new TimerUser(probe.Ref)), "timers");

        kit.Sim.Tell(actor, new StartSingle(50 * SimTime.Microsecond));
        kit.AdvanceTime(10 * SimTime.Microsecond);
        kit.Sim.Tell(actor, new CancelTimer());

        probe.ExpectNoMsg(SimTime.Millisecond);
        Assert.Empty(kit.Sim.DeadLetters);
    }

    [Fact]
    public void Restarting_a_timer_with_the_same_key_replaces_it()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var actor = kit.Sim.ActorOf(Props.Create(() => new TimerUser(probe.Ref)), "timers");

        kit.Sim.Tell(actor, new StartSingle(10 * SimTime.Microsecond));
        kit.Sim.Tell(actor, new StartSingle(30 * SimTime.Microsecond));

        Assert.Equal(new Fired("single", 30 * SimTime.Microsecond), probe.ExpectMsg<Fired>());
        probe.ExpectNoMsg(SimTime.Millisecond);
    }
}
