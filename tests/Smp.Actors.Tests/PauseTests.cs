using Akka.Actor;

namespace Smp.Actors.Tests;

public sealed class PauseTests
{
    private sealed record Work(int Steps);

    /// <summary>
    /// Does its work in steps, sending one message per step; with <c>suspend</c> it suspends its delivery after every
    /// step (as a CPU stopping at a breakpoint in the middle of its quantum) and does the next step when resumed.
    /// </summary>
    private sealed class Stepper : SimActor
    {
        private readonly IActorRef[] _peers;
        private readonly bool _suspend;
        private readonly List<long> _resumedAt;
        private int _left;
        private int _done;

        public Stepper(IActorRef[] peers, bool suspend, List<long> resumedAt)
        {
            _peers = peers;
            _suspend = suspend;
            _resumedAt = resumedAt;
            Receive<Work>(w =>
            {
                _left = w.Steps;
                Continue();
            });
            Receive<Token>(t =>
            {
                if (t.Hops < 6) Sim.ScheduleTell(150 * (t.Hops + 1), _peers[(t.Origin + t.Hops) % _peers.Length], t with { Hops = t.Hops + 1 });
            });
        }

        protected override void OnDeliveryResumed()
        {
            _resumedAt.Add(Sim.Now);
            Continue();
        }

        private void Continue()
        {
            while (_left > 0)
            {
                _left--;
                _done++;
                Sim.Tell(_peers[_done % _peers.Length], new Token(_done, 0));
                if (_suspend && _left > 0)
                {
                    Sim.SuspendDelivery();
                    return;
                }
            }
        }
    }

    /// <summary>Records like a <see cref="MessageLog"/> and asks the host-side pause after every delivery.</summary>
    private sealed class PausingLog(MessageLog log) : IMessageRecorder
    {
        public Simulation? Simulation { get; set; }

        public void Record(long time, string senderPath, string receiverPath, object message)
        {
            log.Record(time, senderPath, receiverPath, message);
            Simulation?.RequestPause();
        }
    }

    private static (MessageLog Log, int Pauses, List<long> Resumed) Run(SimulationMode mode, bool suspend, bool hostPauses = false)
    {
        var log = new MessageLog();
        var resumed = new List<long>();
        var recorder = hostPauses ? new PausingLog(log) : null;
        using var system = new Simulation("pause", new SimulationOptions { Mode = mode, Recorder = recorder ?? (IMessageRecorder)log, DefaultLatency = 100 });
        if (recorder is not null) recorder.Simulation = system;
        var peers = new IActorRef[6];
        for (int i = 0; i < peers.Length; i++) peers[i] = system.ActorOf(Props.Create(() => new Stepper(peers, suspend, resumed)), $"p{i}");
        for (int i = 0; i < peers.Length; i++) system.TellAt(i * 400, peers[i], new Work(3 + i));

        int pauses = 0;
        while (true)
        {
            var result = system.RunUntilIdle();
            if (result != RunResult.Paused)
            {
                Assert.Equal(RunResult.Idle, result);
                break;
            }

            Assert.True(system.IsPaused);
            pauses++;
        }

        Assert.Null(system.Failure);
        Assert.Equal(log.Entries.Count, system.MessagesDelivered);
        return (log, pauses, resumed);
    }

    [Theory]
    [InlineData(SimulationMode.Deterministic)]
    [InlineData(SimulationMode.Parallel)]
    public void Suspended_deliveries_resume_where_they_stopped_and_the_log_is_unchanged(SimulationMode mode)
    {
        var reference = Run(SimulationMode.Deterministic, suspend: false);
        var suspended = Run(mode, suspend: true);

        Assert.True(reference.Log.Entries.Count > 50);
        Assert.Equal(reference.Log.Entries, suspended.Log.Entries);
        Assert.Equal(0, reference.Pauses);
        Assert.True(suspended.Pauses >= 6 + 2 * 5, $"only {suspended.Pauses} pauses");
        // Each continuation runs at the simulated time of the delivery it continues: the Work messages' times.
        Assert.All(suspended.Resumed, t => Assert.Contains(t, new long[] { 0, 400, 800, 1200, 1600, 2000 }));
    }

    [Fact]
    public void A_host_pause_between_every_two_envelopes_changes_nothing()
    {
        var reference = Run(SimulationMode.Deterministic, suspend: false);
        var paused = Run(SimulationMode.Deterministic, suspend: false, hostPauses: true);

        Assert.Equal(reference.Log.Entries, paused.Log.Entries);
        Assert.Equal(reference.Log.Entries.Count, paused.Pauses);
    }

    [Fact]
    public void A_pause_keeps_the_clock_where_it_stopped()
    {
        using var system = new Simulation("clock");
        var probe = system.ActorOf(Props.Create(() => new Silent()), "silent");
        system.TellAt(5_000, probe, "a");
        system.TellAt(9_000, probe, "b");
        Assert.Equal(RunResult.TimeLimitReached, system.RunUntil(6_000));
        system.RequestPause();
        Assert.Equal(RunResult.Paused, system.RunUntilIdle());
        Assert.Equal(6_000, system.Now);
        Assert.Equal(1, system.MessagesDelivered);
        Assert.Equal(RunResult.Idle, system.RunUntilIdle());
        Assert.Equal(9_000, system.Now);
        Assert.False(system.IsPaused);
    }
}
