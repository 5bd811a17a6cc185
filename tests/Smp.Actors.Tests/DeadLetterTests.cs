using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class DeadLetterTests
{
    [Fact]
    public void A_message_to_a_stopped_actor_becomes_a_dead_letter()
    {
        using var kit = new ActorTestKit();
        var silent = kit.Sys.ActorOf<Silent>("silent");
        kit.Sys.Stop(silent);
        var recorded = new List<DeadLetter>();
        kit.Sys.DeadLetterRecorded += recorded.Add;

        silent.Tell(new Note("too late"));
        kit.RunUntilIdle();

        var letter = Assert.Single(kit.Sys.DeadLetters);
        Assert.Equal(new Note("too late"), letter.Message);
        Assert.Equal("/user/silent", letter.Recipient.Path);
        Assert.Equal(DeadLetterReason.RecipientStopped, letter.Reason);
        Assert.Equal(recorded, kit.Sys.DeadLetters);
    }

    [Fact]
    public void An_unhandled_message_becomes_a_dead_letter_with_its_sender()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();
        var strings = kit.Sys.ActorOf<StringsOnly>("strings");

        strings.Tell("fine", probe);
        strings.Tell(42, probe);
        kit.RunUntilIdle();

        var letter = Assert.Single(kit.Sys.DeadLetters);
        Assert.Equal(42, letter.Message);
        Assert.Same(probe, letter.Sender);
        Assert.Equal(DeadLetterReason.Unhandled, letter.Reason);
        Assert.Equal(2, kit.Sys.MessagesDelivered);
    }

    [Fact]
    public void A_reply_to_a_message_without_sender_goes_to_Nobody_as_a_dead_letter()
    {
        using var kit = new ActorTestKit();
        var echo = kit.Sys.ActorOf<Echo>("echo");

        echo.Tell(new Note("anyone?"));
        kit.RunUntilIdle();

        var letter = Assert.Single(kit.Sys.DeadLetters);
        Assert.Equal(DeadLetterReason.NoRecipient, letter.Reason);
        Assert.Same(kit.Sys.Nobody, letter.Recipient);
        Assert.Equal("/user/echo", letter.Sender?.Path);
    }

    [Fact]
    public void Messages_queued_for_an_actor_that_stops_itself_become_dead_letters()
    {
        using var kit = new ActorTestKit();
        var quitter = kit.Sys.ActorOf(Props.Create(() => new Quitter()), "quitter");

        kit.Sys.TellAt(100, quitter, "stop");
        kit.Sys.TellAt(200, quitter, "next");
        kit.Sys.TellAt(5_000, quitter, "much later");
        kit.RunUntilIdle();

        Assert.Equal(["next", "much later"], kit.Sys.DeadLetters.Select(d => d.Message));
        Assert.All(kit.Sys.DeadLetters, d => Assert.Equal(DeadLetterReason.RecipientStopped, d.Reason));
        Assert.Null(kit.Sys.TryGetActor("/user/quitter"));
    }

    private sealed class Quitter : Actor
    {
        public Quitter()
        {
            Receive<string>(s => s == "stop", _ => Context.Stop(Self));
        }
    }
}
