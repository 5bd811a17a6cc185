using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class DeliveryOrderTests
{
    private sealed class Collector : SimActor
    {
        public Collector(List<(long Time, string Text)> seen)
        {
            Receive<Note>(n => seen.Add((Sim.Now, n.Text)));
        }
    }

    private sealed class SenderA : SimActor
    {
        public SenderA(IActorRef collector)
        {
            Receive<string>(_ =>
            {
                Sim.Tell(collector, new Note("a1"));
                Sim.Tell(collector, new Note("a2"));
                Sim.ScheduleTell(5_000, collector, new Note("a-late"));
            });
        }
    }

    private sealed class SenderB : SimActor
    {
        public SenderB(IActorRef collector)
        {
            Receive<string>(_ =>
            {
                Sim.ScheduleTell(2_000, collector, new Note("b-early"));
                Sim.Tell(collector, new Note("b1"));
            });
        }
    }

    [Fact]
    public void Messages_are_delivered_by_time_then_sender_id_then_sequence()
    {
        using var kit = new SimTestKit();
        var seen = new List<(long, string)>();
        var collector = kit.Sim.ActorOf(Props.Create(() => new Collector(seen)), "collector");
        var a = kit.Sim.ActorOf(Props.Create(() => new SenderA(collector)), "a");
        var b = kit.Sim.ActorOf(Props.Create(() => new SenderB(collector)), "b");

        // b is told first, but a was spawned first: at equal due times a's messages come first.
        kit.Sim.Tell(b, "go");
        kit.Sim.Tell(a, "go");
        Assert.Equal(RunResult.Idle, kit.RunUntilIdle());

        Assert.Equal(
            [(1_000L, "a1"), (1_000L, "a2"), (1_000L, "b1"), (2_000L, "b-early"), (5_000L, "a-late")],
            seen);
    }

    [Fact]
    public void External_messages_with_the_same_due_time_keep_their_send_order()
    {
        using var kit = new SimTestKit();
        var seen = new List<(long, string)>();
        var collector = kit.Sim.ActorOf(Props.Create(() => new Collector(seen)), "collector");

        kit.Sim.TellAt(300, collector, new Note("third"));
        kit.Sim.TellAt(100, collector, new Note("first"));
        kit.Sim.TellAt(100, collector, new Note("second"));
        kit.RunUntilIdle();

        Assert.Equal([(100L, "first"), (100L, "second"), (300L, "third")], seen);
    }
}
