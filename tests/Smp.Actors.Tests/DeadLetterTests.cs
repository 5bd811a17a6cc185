using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class DeadLetterTests
{
    [Fact]
    public void A_message_to_a_stopped_actor_becomes_a_dead_letter()
    {
        using var kit = new SimTestKit();
        var silent = kit.Sim.ActorOf(Props.Create<Silent>(), "silent");
        kit.Sim.Stop(silent);
        var recorded = new List<DeadLetter>();
        kit.Sim.DeadLetterRecorded += recorded.Add;

        kit.Sim.Tell(silent, new Note("too late"));
        kit.RunUntilIdle();

        var letter = Assert.Single(kit.Sim.DeadLetters);
        Assert.Equal(new Note("too late"), letter.Message);
        Assert.Equal("/silent", letter.RecipientPath);
        Assert.Equal(DeadLetterReason.RecipientStopped, letter.Reason);
        Assert.Equal(recorded, kit.Sim.DeadLetters);
    }

    [Fact]
    public void An_unhandled_message_becomes_a_dead_letter_with_its_sender()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var strings = kit.Sim.ActorOf(Props.Create<StringsOnly>(), "strings");

        kit.Sim.Tell(strings, "fine", probe.Ref);
        kit.Sim.Tell(strings, 42, probe.Ref);
        kit.RunUntilIdle();

        var letter = Assert.Single(kit.Sim.DeadLetters);
        Assert.Equal(42, letter.Message);
        Assert.Same(probe.Ref, letter.Sender);
        Assert.Equal(DeadLetterReason.Unhandled, letter.Reason);
        Assert.Equal(2, kit.Sim.MessagesDelivered);
    }

    [Fact]
    public void A_reply_to_a_message_without_sender_goes_to_Nobody_as_a_dead_letter()
    {
        using var kit = new SimTestKit();
        var echo = kit.Sim.ActorOf(Props.Create<Echo>(), "echo");

        kit.Sim.Tell(echo, new Note("anyone?"));
        kit.RunUntilIdle();

        var letter = Assert.Single(kit.Sim.DeadLetters);
        Assert.Equal(DeadLetterReason.NoRecipient, letter.Reason);
        Assert.True(letter.Recipient.IsNobody() || letter.Recipient is DeadLetterActorRef);
        Assert.Equal("-", letter.RecipientPath);
        Assert.Equal("/echo", letter.SenderPath);
    }

    [Fact]
    public void Messages_queued_for_an_actor_that_stops_itself_become_dead_letters()
    {
        using var kit = new SimTestKit();
        var quitter = kit.Sim.ActorOf(Props.Create(() => new Quitter()), "quitter");

        kit.Sim.TellAt(100, quitter, "stop");
        kit.Sim.TellAt(200, quitter, "next");
        kit.Sim.TellAt(5_000, quitter, "much later");
        kit.RunUntilIdle();

        Assert.Equal(["next", "much later"], kit.Sim.DeadLetters.Select(d => d.Message));
        Assert.All(kit.Sim.DeadLetters, d => Assert.Equal(DeadLetterReason.RecipientStopped, d.Reason));
        Assert.Null(kit.Sim.TryGetActor("/quitter"));
    }

    private sealed class Quitter : SimActor
    {
        public Quitter()
        {
            Receive<string>(s => s == "stop", _ => Sim.Stop(Self));
        }
    }
}
