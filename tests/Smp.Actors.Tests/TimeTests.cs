using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class TimeTests
{
    private sealed class Replier : Actor
    {
        public Replier(IActorRef probe, long extraDelay)
        {
            Receive<string>(text =>
            {
                if (extraDelay == 0)
                {
                    probe.Tell(new Note(text));
                }
                else
                {
                    Context.ScheduleTell(extraDelay, probe, new Note(text));
                }
            });
        }
    }

    /// <summary>Re-sends itself a RunQuantum each quantum, like a CPU actor, a fixed number of times.</summary>
    private sealed class QuantumRunner : Actor
    {
        private sealed record RunQuantum(long Until);

        public QuantumRunner(int quanta, List<long> untils)
        {
            Receive<string>(_ => Self.Tell(new RunQuantum(Context.QuantumEnd)));
            Receive<RunQuantum>(q =>
            {
                untils.Add(q.Until);
                if (untils.Count < quanta)
                {
                    Self.Tell(new RunQuantum(Context.QuantumEnd));
                }
            });
        }
    }

    [Fact]
    public void Idle_time_is_skipped_in_one_jump()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();

        kit.Sys.ScheduleTell(SimTime.Second, probe, new Note("wake"));
        var result = kit.RunUntilIdle();

        Assert.Equal(RunResult.Idle, result);
        Assert.Equal(SimTime.Second, kit.Sys.Now);
        Assert.Equal(1, kit.Sys.QuantaProcessed);
        Assert.Equal(new Note("wake"), probe.ExpectMsg(new Note("wake"), timeout: 0));
    }

    [Fact]
    public void A_message_sent_during_a_quantum_is_not_delivered_before_the_next_boundary()
    {
        using var kit = new ActorTestKit(new ActorSystemOptions { Quantum = 1_000, DefaultLatency = 300 });
        var probe = kit.CreateTestProbe();
        var replier = kit.Sys.ActorOf(Props.Create(() => new Replier(probe, 0)), "replier");

        // Sent at 100 with 300 ns latency: due at 400, clamped to the boundary at 1000.
        kit.Sys.TellAt(100, replier, "early");
        probe.ExpectMsg<Note>(n => n.Text == "early");
        Assert.Equal(1_000, probe.LastMessageTime);

        // Sent at 1800 with 300 ns latency: due at 2100, already past the boundary at 2000.
        kit.Sys.TellAt(1_800, replier, "late");
        probe.ExpectMsg<Note>(n => n.Text == "late");
        Assert.Equal(2_100, probe.LastMessageTime);
    }

    [Fact]
    public void An_explicit_delay_replaces_the_default_latency()
    {
        using var kit = new ActorTestKit(new ActorSystemOptions { Quantum = 1_000, DefaultLatency = 300 });
        var probe = kit.CreateTestProbe();
        var replier = kit.Sys.ActorOf(Props.Create(() => new Replier(probe, 5_000)), "replier");

        kit.Sys.TellAt(100, replier, "delayed");
        probe.ExpectMsg<Note>();

        Assert.Equal(5_100, probe.LastMessageTime);
    }

    [Fact]
    public void An_actor_rescheduling_itself_runs_once_per_quantum()
    {
        using var kit = new ActorTestKit(new ActorSystemOptions { Quantum = 1_000 });
        var untils = new List<long>();
        var runner = kit.Sys.ActorOf(Props.Create(() => new QuantumRunner(5, untils)), "cpu0");

        runner.Tell("start");
        kit.RunUntilIdle();

        Assert.Equal([1_000L, 2_000L, 3_000L, 4_000L, 5_000L], untils);
        Assert.Equal(5_000, kit.Sys.Now);
        Assert.Equal(6, kit.Sys.QuantaProcessed);
    }

    [Fact]
    public void RunUntil_delivers_messages_due_at_the_limit_and_sets_the_clock()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();
        kit.Sys.TellAt(5_000, probe, new Note("at-limit"));
        kit.Sys.TellAt(5_001, probe, new Note("after-limit"));

        var result = kit.Sys.RunUntil(5_000);

        Assert.Equal(RunResult.TimeLimitReached, result);
        Assert.Equal(5_000, kit.Sys.Now);
        Assert.Equal(1, probe.PendingCount);
        Assert.Equal(5_001, kit.Sys.NextDueTime);
    }

    [Fact]
    public void AdvanceTime_moves_the_clock_even_when_idle()
    {
        using var kit = new ActorTestKit();

        kit.AdvanceTime(42 * SimTime.Millisecond);

        Assert.Equal(42 * SimTime.Millisecond, kit.Sys.Now);
        Assert.Equal(0, kit.Sys.QuantaProcessed);
    }

    [Fact]
    public void Step_runs_exactly_one_quantum()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();
        kit.Sys.TellAt(10_000, probe, new Note("one"));
        kit.Sys.TellAt(20_000, probe, new Note("two"));

        Assert.True(kit.Sys.Step());
        Assert.Equal(10_000, kit.Sys.Now);
        Assert.Equal(1, probe.PendingCount);
        Assert.True(kit.Sys.Step());
        Assert.False(kit.Sys.Step());
        Assert.Equal(2, probe.PendingCount);
    }
}
