using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class SupervisionTests
{
    public static TheoryData<string> Dispatchers => new() { "deterministic", "parallel" };

    private static ActorSystemOptions OptionsFor(string dispatcher) => new()
    {
        Dispatcher = dispatcher == "parallel" ? new ParallelDispatcher(threads: 2, minParallelBatch: 1) : new DeterministicDispatcher(),
    };

    [Theory]
    [MemberData(nameof(Dispatchers))]
    public void A_throwing_actor_is_reported_and_the_run_stops(string dispatcher)
    {
        using var kit = new ActorTestKit(OptionsFor(dispatcher));
        var probe = kit.CreateTestProbe();
        var fragile = kit.Sys.ActorOf(Props.Create(() => new Fragile(probe)), "fragile");
        var reported = new List<ActorFailure>();
        kit.Sys.Failed += reported.Add;

        kit.Sys.TellAt(1_000, fragile, "before");
        kit.Sys.TellAt(2_000, fragile, "boom");
        kit.Sys.TellAt(3_000, fragile, "after");
        var result = kit.RunUntilIdle();

        Assert.Equal(RunResult.Failed, result);
        var failure = Assert.Single(reported);
        Assert.Same(failure, kit.Sys.Failure);
        Assert.Equal("/user/fragile", failure.ActorPath);
        Assert.Equal("boom", failure.Message);
        Assert.Equal(2_000, failure.Time);
        Assert.IsType<InvalidOperationException>(failure.Exception);
        Assert.Equal("kaboom", failure.Exception.Message);
        Assert.Contains("/user/fragile", failure.ToString());

        // Nothing is delivered after the failure, whatever the caller does; "after" stays queued.
        var delivered = kit.Sys.MessagesDelivered;
        Assert.Equal(RunResult.Failed, kit.RunUntilIdle());
        Assert.Equal(RunResult.Failed, kit.AdvanceTime(SimTime.Second));
        Assert.Equal(delivered, kit.Sys.MessagesDelivered);
        Assert.False(kit.Sys.IsIdle);
    }

    [Fact]
    public void A_failure_in_PreStart_is_reported_with_the_actor_path()
    {
        using var kit = new ActorTestKit();

        kit.Sys.ActorOf(Props.Create(() => new FailsToStart()), "starter");

        var failure = kit.Sys.Failure;
        Assert.NotNull(failure);
        Assert.Equal("/user/starter", failure.ActorPath);
        Assert.Null(failure.Message);
        Assert.Equal("starting", failure.Stage);
        Assert.Null(kit.Sys.TryGetActor("/user/starter"));
        Assert.Equal(RunResult.Failed, kit.RunUntilIdle());
    }

    [Fact]
    public void A_probe_expectation_names_the_failure_instead_of_timing_out_silently()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();
        var fragile = kit.Sys.ActorOf(Props.Create(() => new Fragile(probe)), "fragile");

        fragile.Tell("boom");
        var error = Assert.Throws<TestKitAssertionException>(() => probe.ExpectMsg<string>());

        Assert.Contains("/user/fragile", error.Message);
        Assert.Contains("kaboom", error.Message);
    }

    private sealed class FailsToStart : Actor
    {
        protected override void PreStart() => throw new InvalidOperationException("no start");
    }
}
