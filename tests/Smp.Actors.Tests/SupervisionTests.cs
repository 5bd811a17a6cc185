using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class SupervisionTests
{
    [Theory]
    [InlineData(SimulationMode.Deterministic)]
    [InlineData(SimulationMode.Parallel)]
    public void A_throwing_actor_is_reported_and_the_run_stops(SimulationMode mode)
    {
        using var kit = new SimTestKit(new SimulationOptions { Mode = mode });
        var probe = kit.CreateTestProbe();
        var fragile = kit.Sim.ActorOf(Props.Create(() => new Fragile(probe.Ref)), "fragile");
        var reported = new List<ActorFailure>();
        kit.Sim.Failed += reported.Add;

        kit.Sim.TellAt(1_000, fragile, "before");
        kit.Sim.TellAt(2_000, fragile, "boom");
        kit.Sim.TellAt(3_000, fragile, "after");
        var result = kit.RunUntilIdle();

        Assert.Equal(RunResult.Failed, result);
        var failure = Assert.Single(reported);
        Assert.Same(failure, kit.Sim.Failure);
        Assert.EndsWith("/fragile", failure.ActorPath);
        Assert.StartsWith("/user/test-", failure.ActorPath);
        Assert.Equal("boom", failure.Message);
        Assert.Equal(2_000, failure.Time);
        Assert.IsType<InvalidOperationException>(failure.Exception);
        Assert.Equal("kaboom", failure.Exception.Message);
        Assert.Contains("/fragile", failure.ToString());

        // Nothing is delivered after the failure, whatever the caller does; "after" stays queued.
        var delivered = kit.Sim.MessagesDelivered;
        Assert.Equal(RunResult.Failed, kit.RunUntilIdle());
        Assert.Equal(RunResult.Failed, kit.AdvanceTime(SimTime.Second));
        Assert.Equal(delivered, kit.Sim.MessagesDelivered);
        Assert.False(kit.Sim.IsIdle);
    }

    [Fact]
    public void A_failure_in_PreStart_is_reported_with_the_actor_path()
    {
        using var kit = new SimTestKit();

        kit.Sim.ActorOf(Props.Create(() => new FailsToStart()), "starter");

        var failure = kit.Sim.Failure;
        Assert.NotNull(failure);
        Assert.EndsWith("/starter", failure.ActorPath);
        Assert.Null(failure.Message);
        Assert.Equal("starting", failure.Stage);
        Assert.Null(kit.Sim.TryGetActor("/starter"));
        Assert.Equal(RunResult.Failed, kit.RunUntilIdle());
    }

    [Fact]
    public void A_probe_expectation_names_the_failure_instead_of_timing_out_silently()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var fragile = kit.Sim.ActorOf(Props.Create(() => new Fragile(probe.Ref)), "fragile");

        kit.Sim.Tell(fragile, "boom");
        var error = Assert.Throws<TestKitAssertionException>(() => probe.ExpectMsg<string>());

        Assert.Contains("/fragile", error.Message);
        Assert.Contains("kaboom", error.Message);
    }

    private sealed class FailsToStart : SimActor
    {
        protected override void PreStart() => throw new InvalidOperationException("no start");
    }
}
