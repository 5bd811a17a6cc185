using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class TimeTests
{
    private sealed class Replier : SimActor
    {
        public Replier(IActorRef probe, long extraDelay)
        {
            Receive<string>(text =>
            {
                if (extraDelay == 0)
                {
                    Sim.Tell(probe, new Note(text));
                }
                else
                {
                    Sim.ScheduleTell(extraDelay, probe, new Note(text));
                }
            });
        }
    }

    /// <summary>Re-sends itself a RunQuantum each quantum, like a CPU actor, a fixed number of times.</summary>
    private sealed class QuantumRunner : SimActor
    {
        private sealed record RunQuantum(long Until);

        public QuantumRunner(int quanta, List<long> untils)
        {
            Receive<string>(_ => Sim.Tell(Self, new RunQuantum(Sim.QuantumEnd)));
            Receive<RunQuantum>(q =>
            {
                untils.Add(q.Until);
                if (untils.Count < quanta)
                {
                    Sim.Tell(Self, new RunQuantum(Sim.QuantumEnd));
                }
            });
        }
    }

    [Fact]
    public void Idle_time_is_skipped_in_one_jump()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();

        kit.Sim.ScheduleTell(SimTime.Second, probe.Ref, new Note("wake"));
        var result = kit.RunUntilIdle();

        Assert.Equal(RunResult.Idle, result);
        Assert.Equal(SimTime.Second, kit.Sim.Now);
        Assert.Equal(1, kit.Sim.QuantaProcessed);
        Assert.Equal(new Note("wake"), probe.ExpectMsg(new Note("wake"), timeout: 0));
    }

    [Fact]
    public void A_message_sent_during_a_quantum_is_not_delivered_before_the_next_boundary()
    {
        using var kit = new SimTestKit(new SimulationOptions { Quantum = 1_000, DefaultLatency = 300 });
        var probe = kit.CreateTestProbe();
        var replier = kit.Sim.ActorOf(Props.Create(() => new Replier(probe.Ref, 0)), "replier");

        // Sent at 100 with 300 ns latency: due at 400, clamped to the boundary at 1000.
        kit.Sim.TellAt(100, replier, "early");
        probe.ExpectMsg<Note>(n => n.Text == "early");
        Assert.Equal(1_000, probe.LastMessageTime);

        // Sent at 1800 with 300 ns latency: due at 2100, already past the boundary at 2000.
        kit.Sim.TellAt(1_800, replier, "late");
        probe.ExpectMsg<Note>(n => n.Text == "late");
        Assert.Equal(2_100, probe.LastMessageTime);
    }

    [Fact]
    public void An_explicit_delay_replaces_the_default_latency()
    {
        using var kit = new SimTestKit(new SimulationOptions { Quantum = 1_000, DefaultLatency = 300 });
        var probe = kit.CreateTestProbe();
        var replier = kit.Sim.ActorOf(Props.Create(() => new Replier(probe.Ref, 5_000)), "replier");

        kit.Sim.TellAt(100, replier, "delayed");
        probe.ExpectMsg<Note>();

        Assert.Equal(5_100, probe.LastMessageTime);
    }

    [Fact]
    public void An_actor_rescheduling_itself_runs_once_per_quantum()
    {
        using var kit = new SimTestKit(new SimulationOptions { Quantum = 1_000 });
        var untils = new List<long>();
        var runner = kit.Sim.ActorOf(Props.Create(() => new QuantumRunner(5, untils)), "cpu0");

        kit.Sim.Tell(runner, "start");
        kit.RunUntilIdle();

        Assert.Equal([1_000L, 2_000L, 3_000L, 4_000L, 5_000L], untils);
        Assert.Equal(5_000, kit.Sim.Now);
        Assert.Equal(6, kit.Sim.QuantaProcessed);
    }

    [Fact]
    public void RunUntil_delivers_messages_due_at_the_limit_and_sets_the_clock()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        kit.Sim.TellAt(5_000, probe.Ref, new Note("at-limit"));
        kit.Sim.TellAt(5_001, probe.Ref, new Note("after-limit"));

        var result = kit.Sim.RunUntil(5_000);

        Assert.Equal(RunResult.TimeLimitReached, result);
        Assert.Equal(5_000, kit.Sim.Now);
        Assert.Equal(1, probe.PendingCount);
        Assert.Equal(5_001, kit.Sim.NextDueTime);
    }

    [Fact]
    public void AdvanceTime_moves_the_clock_even_when_idle()
    {
        using var kit = new SimTestKit();

        kit.AdvanceTime(42 * SimTime.Millisecond);

        Assert.Equal(42 * SimTime.Millisecond, kit.Sim.Now);
        Assert.Equal(0, kit.Sim.QuantaProcessed);
    }

    [Fact]
    public void Step_runs_exactly_one_quantum()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        kit.Sim.TellAt(10_000, probe.Ref, new Note("one"));
        kit.Sim.TellAt(20_000, probe.Ref, new Note("two"));

        Assert.True(kit.Sim.Step());
        Assert.Equal(10_000, kit.Sim.Now);
        Assert.Equal(1, probe.PendingCount);
        Assert.True(kit.Sim.Step());
        Assert.False(kit.Sim.Step());
        Assert.Equal(2, probe.PendingCount);
    }
}
