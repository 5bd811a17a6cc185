using Akka.Actor;

namespace Smp.Actors.TestKit;

/// <summary>
/// A test fixture in simulated time: a <see cref="Simulation"/> (deterministic by default), probes, and ways to drive
/// the clock. Akka.TestKit's own expectations wait in wall time; these wait in simulated time and cost no wall time
/// when the simulation is idle. Dispose the kit at the end of the test to stop its actors.
/// </summary>
public sealed class SimTestKit : IDisposable
{
    /// <summary>Creates a kit around a new simulation.</summary>
    /// <param name="options">The simulation's options; deterministic defaults when null.</param>
    /// <param name="system">The Akka actor system to use (for example an Akka.TestKit's <c>Sys</c>); the shared one when null.</param>
    /// <param name="name">The simulation's name.</param>
    public SimTestKit(SimulationOptions? options = null, ActorSystem? system = null, string name = "test")
    {
        Sim = new Simulation(name, options, system);
    }

    /// <summary>The simulation under test.</summary>
    public Simulation Sim { get; }

    /// <summary>Creates a probe (a simulated actor at <c>/NAME</c>).</summary>
    /// <param name="name">The probe's name; Akka chooses one when null.</param>
    /// <returns>The probe.</returns>
    public SimTestProbe CreateTestProbe(string? name = null) => new(Sim, name);

    /// <summary>Delivers everything due within the next <paramref name="duration"/> nanoseconds and moves the clock by that much.</summary>
    /// <param name="duration">The simulated duration, in nanoseconds.</param>
    /// <returns>Why the run returned.</returns>
    public RunResult AdvanceTime(long duration) => Sim.AdvanceBy(duration);

    /// <summary>Runs until nothing is pending (or an actor fails).</summary>
    /// <returns>Why the run returned.</returns>
    public RunResult RunUntilIdle() => Sim.RunUntilIdle();

    /// <summary>Fails with <see cref="TestKitAssertionException"/> when an actor of the simulation has failed.</summary>
    /// <exception cref="TestKitAssertionException">An actor failed.</exception>
    public void AssertNoFailure()
    {
        if (Sim.Failure is { } failure)
        {
            throw new TestKitAssertionException($"The simulation failed: {failure}");
        }
    }

    /// <summary>Stops every actor of the simulation.</summary>
    public void Dispose() => Sim.Dispose();
}
