using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class AskTests
{
    [Fact]
    public async Task Ask_completes_with_the_reply()
    {
        using var kit = new SimTestKit();
        var echo = kit.Sim.ActorOf(Props.Create<Echo>(), "echo");

        var reply = kit.Sim.Ask<Note>(echo, new Note("ping"), SimTime.Millisecond);
        kit.RunUntilIdle();

        Assert.True(reply.IsCompletedSuccessfully);
        Assert.Equal(new Note("ping"), await reply);
        Assert.Empty(kit.Sim.DeadLetters);
    }

    [Fact]
    public async Task Ask_fails_with_AskTimeoutException_after_the_simulated_timeout()
    {
        using var kit = new SimTestKit();
        var silent = kit.Sim.ActorOf(Props.Create<Silent>(), "silent");

        var reply = kit.Sim.Ask<Note>(silent, new Note("hello?"), 5 * SimTime.Microsecond);
        kit.RunUntilIdle();

        var error = await Assert.ThrowsAsync<AskTimeoutException>(() => reply);
        Assert.Contains("/silent", error.Message);
        Assert.Contains("5 µs", error.Message);
        Assert.Equal(5 * SimTime.Microsecond, kit.Sim.Now);
    }

    [Fact]
    public async Task Ask_with_a_reply_of_the_wrong_type_fails_clearly()
    {
        using var kit = new SimTestKit();
        var echo = kit.Sim.ActorOf(Props.Create<Echo>(), "echo");

        var reply = kit.Sim.Ask<int>(echo, new Note("not a number"), SimTime.Millisecond);
        kit.RunUntilIdle();

        var error = await Assert.ThrowsAsync<InvalidCastException>(() => reply);
        Assert.Contains("Int32", error.Message);
    }
}
