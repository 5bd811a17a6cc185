using System.Runtime.CompilerServices;
using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

/// <summary>
/// Supervision as Akka sees it, checked with Akka.TestKit on an actor system configured like the product's: a simulated
/// actor that throws is stopped (Akka's Terminated arrives), never restarted (its constructor ran once), and the run
/// ends with the report instead of hanging.
/// </summary>
public sealed class AkkaSupervisionTests : Akka.TestKit.Xunit2.TestKit
{
    public AkkaSupervisionTests()
        : base(SimulationConfig.Akka)
    {
    }

    private sealed class CountingFragile : SimActor
    {
        public CountingFragile(StrongBox<int> constructed)
        {
            Interlocked.Increment(ref constructed.Value);
            Receive<string>(s => s == "boom", _ => throw new InvalidOperationException("kaboom"));
            ReceiveAny(_ => { });
        }
    }

    private sealed class Parent : SimActor
    {
        public Parent(StrongBox<int> constructed)
        {
            var child = Sim.ActorOf(Props.Create(() => new CountingFragile(constructed)), "child");
            Receive<string>(s => Sim.Tell(child, s));
        }
    }

    [Theory]
    [InlineData(SimulationMode.Deterministic)]
    [InlineData(SimulationMode.Parallel)]
    public void A_throwing_actor_is_stopped_not_restarted_and_the_run_ends_with_the_report(SimulationMode mode)
    {
        using var simulation = new Simulation("supervised", new SimulationOptions { Mode = mode }, Sys);
        var constructed = new StrongBox<int>();
        var fragile = simulation.ActorOf(Props.Create(() => new CountingFragile(constructed)), "fragile");
        Watch(fragile);

        simulation.TellAt(1_000, fragile, "boom");
        simulation.TellAt(2_000, fragile, "after");

        Assert.Equal(RunResult.Failed, simulation.RunUntilIdle());
        ExpectTerminated(fragile);
        Assert.Equal(1, constructed.Value);
        var failure = simulation.Failure!;
        Assert.Equal("boom", failure.Message);
        Assert.Equal(1_000, failure.Time);
        Assert.EndsWith("/fragile", failure.ActorPath);
        Assert.Equal(RunResult.Failed, simulation.RunUntilIdle());
        Assert.Equal(1, constructed.Value);
    }

    [Fact]
    public void A_failing_child_of_a_simulated_actor_is_stopped_too()
    {
        using var simulation = new Simulation("supervised", system: Sys);
        var constructed = new StrongBox<int>();
        var parent = simulation.ActorOf(Props.Create(() => new Parent(constructed)), "parent");
        var child = simulation.TryGetActor("/parent/child")!;
        Watch(child);

        simulation.Tell(parent, "boom");

        Assert.Equal(RunResult.Failed, simulation.RunUntilIdle());
        ExpectTerminated(child);
        Assert.Equal(1, constructed.Value);
        Assert.EndsWith("/parent/child", simulation.Failure!.ActorPath);
    }

    [Fact]
    public void A_simulated_actor_created_outside_a_simulation_stops_without_logging()
    {
        var rogue = Sys.ActorOf(Props.Create(() => new CountingFragile(new StrongBox<int>())));
        Watch(rogue);

        ExpectTerminated(rogue);
    }

    [Fact]
    public void A_plain_akka_tell_to_a_simulated_actor_fails_the_run_instead_of_breaking_determinism()
    {
        using var kit = new SimTestKit(system: Sys);
        var probe = kit.CreateTestProbe();
        var silent = kit.Sim.ActorOf(Props.Create<Silent>(), "silent");

        silent.Tell("outside simulated time", ActorRefs.NoSender);
        AwaitCondition(() => kit.Sim.Failure is not null);

        Assert.Equal(RunResult.Failed, kit.RunUntilIdle());
        Assert.Contains("Sim.Tell", kit.Sim.Failure!.Exception.Message);
        Assert.Equal(0, probe.PendingCount);
    }

    /// <summary>Stops itself through Akka (which simulation code must not do) while the conductor still has envelopes for it.</summary>
    private sealed class Deserter : SimActor
    {
        public Deserter()
        {
            ReceiveAny(_ => Context.Stop(Self));
        }
    }

    [Theory]
    [InlineData(SimulationMode.Deterministic)]
    [InlineData(SimulationMode.Parallel)]
    public void An_actor_stopped_behind_the_conductors_back_fails_the_run_instead_of_hanging_it(SimulationMode mode)
    {
        using var simulation = new Simulation("deserter", new SimulationOptions { Mode = mode }, Sys);
        var deserter = simulation.ActorOf(Props.Create(() => new Deserter()), "deserter");
        for (var i = 0; i < 5; i++)
        {
            simulation.TellAt(1_000, deserter, i);
        }

        Assert.Equal(RunResult.Failed, simulation.RunUntilIdle());
        Assert.Contains("stopped by Akka", simulation.Failure!.Exception.Message);
        Assert.Equal(RunResult.Failed, simulation.RunUntilIdle());
    }
}
