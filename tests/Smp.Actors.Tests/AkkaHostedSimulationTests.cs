using Akka.Actor;

namespace Smp.Actors.Tests;

/// <summary>
/// A simulation living in an actor system it does not own (as a cluster node's campaign worker will): it runs without
/// blocking the caller, and a message to a plain Akka actor leaves simulated time when it comes due.
/// </summary>
public sealed class AkkaHostedSimulationTests : Akka.TestKit.Xunit2.TestKit
{
    public AkkaHostedSimulationTests()
        : base(SimulationConfig.Akka)
    {
    }

    private sealed record Report(string Text);

    private sealed class Reporter : SimActor
    {
        public Reporter(IActorRef coordinator)
        {
            Receive<string>(text => Sim.ScheduleTell(5 * SimTime.Microsecond, coordinator, new Report($"{text} at {Sim.Now}")));
        }
    }

    [Fact]
    public async Task A_message_to_a_plain_akka_actor_leaves_the_simulation_when_it_comes_due()
    {
        var log = new MessageLog();
        using var simulation = new Simulation("hosted", new SimulationOptions { Recorder = log }, Sys);
        var reporter = simulation.ActorOf(Props.Create(() => new Reporter(TestActor)), "reporter");
        simulation.TellAt(2_000, reporter, "seed 7 done");

        var result = await simulation.RunAsync(long.MaxValue);

        Assert.Equal(RunResult.Idle, result);
        Assert.Equal(new Report("seed 7 done at 2000"), ExpectMsg<Report>());
        Assert.Equal(7_000, simulation.Now);
        var egress = log.Entries[^1];
        Assert.Equal((7_000L, "/reporter"), (egress.Time, egress.SenderPath));
        Assert.Equal(TestActor.Path.ToStringWithoutAddress(), egress.ReceiverPath);
    }

    [Fact]
    public void A_simulation_refuses_an_actor_system_without_the_simulation_dispatchers()
    {
        var bare = ActorSystem.Create("bare", "akka.loglevel = OFF\nakka.stdout-loglevel = OFF");
        try
        {
            var error = Assert.Throws<ArgumentException>(() => new Simulation("nope", system: bare));
            Assert.Contains("SimulationConfig.Akka", error.Message);
        }
        finally
        {
            bare.Terminate().Wait();
        }
    }
}
