using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class DeliveryOrderTests
{
    private sealed class Collector : Actor
    {
        public Collector(List<(long Time, string Text)> seen)
        {
            Receive<Note>(n => seen.Add((Context.Now, n.Text)));
        }
    }

    private sealed class SenderA : Actor
    {
        public SenderA(IActorRef collector)
        {
            Receive<string>(_ =>
            {
                collector.Tell(new Note("a1"));
                collector.Tell(new Note("a2"));
                Context.ScheduleTell(5_000, collector, new Note("a-late"));
            });
        }
    }

    private sealed class SenderB : Actor
    {
        public SenderB(IActorRef collector)
        {
            Receive<string>(_ =>
            {
                Context.ScheduleTell(2_000, collector, new Note("b-early"));
                collector.Tell(new Note("b1"));
            });
        }
    }

    [Fact]
    public void Messages_are_delivered_by_time_then_sender_id_then_sequence()
    {
        using var kit = new ActorTestKit();
        var seen = new List<(long, string)>();
        var collector = kit.Sys.ActorOf(Props.Create(() => new Collector(seen)), "collector");
        var a = kit.Sys.ActorOf(Props.Create(() => new SenderA(collector)), "a");
        var b = kit.Sys.ActorOf(Props.Create(() => new SenderB(collector)), "b");

        // b is told first, but a was spawned first: at equal due times a's messages come first.
        b.Tell("go");
        a.Tell("go");
        Assert.Equal(RunResult.Idle, kit.RunUntilIdle());

        Assert.Equal(
            [(1_000L, "a1"), (1_000L, "a2"), (1_000L, "b1"), (2_000L, "b-early"), (5_000L, "a-late")],
            seen);
    }

    [Fact]
    public void External_messages_with_the_same_due_time_keep_their_send_order()
    {
        using var kit = new ActorTestKit();
        var seen = new List<(long, string)>();
        var collector = kit.Sys.ActorOf(Props.Create(() => new Collector(seen)), "collector");

        kit.Sys.TellAt(300, collector, new Note("third"));
        kit.Sys.TellAt(100, collector, new Note("first"));
        kit.Sys.TellAt(100, collector, new Note("second"));
        kit.RunUntilIdle();

        Assert.Equal([(100L, "first"), (100L, "second"), (300L, "third")], seen);
    }
}
