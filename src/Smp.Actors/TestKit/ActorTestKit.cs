namespace Smp.Actors.TestKit;

/// <summary>
/// A test fixture: an <see cref="ActorSystem"/> (deterministic by default), probes, and ways
/// to drive simulated time. Dispose it at the end of the test to stop its actors.
/// </summary>
public sealed class ActorTestKit : IDisposable
{
    /// <summary>Creates a kit around a new system.</summary>
    /// <param name="options">The system's options; deterministic defaults when null.</param>
    /// <param name="name">The system's name.</param>
    public ActorTestKit(ActorSystemOptions? options = null, string name = "test")
    {
        Sys = new ActorSystem(name, options);
    }

    /// <summary>The system under test.</summary>
    public ActorSystem Sys { get; }

    /// <summary>Creates a probe under <c>/system</c>.</summary>
    /// <param name="name">The probe's name; a name like <c>$1</c> is chosen when null.</param>
    /// <returns>The probe.</returns>
    public TestProbe CreateTestProbe(string? name = null) => new(Sys, name);

    /// <summary>Delivers everything due within the next <paramref name="duration"/> nanoseconds and moves the clock by that much.</summary>
    /// <param name="duration">The simulated duration, in nanoseconds.</param>
    /// <returns>Why the run returned.</returns>
    public RunResult AdvanceTime(long duration) => Sys.AdvanceBy(duration);

    /// <summary>Runs until nothing is pending (or an actor fails).</summary>
    /// <returns>Why the run returned.</returns>
    public RunResult RunUntilIdle() => Sys.RunUntilIdle();

    /// <summary>Fails with <see cref="TestKitAssertionException"/> when an actor of the system has failed.</summary>
    /// <exception cref="TestKitAssertionException">An actor failed.</exception>
    public void AssertNoFailure()
    {
        if (Sys.Failure is { } failure)
        {
            throw new TestKitAssertionException($"The actor system failed: {failure}");
        }
    }

    /// <summary>Stops every actor of the system.</summary>
    public void Dispose() => Sys.Dispose();
}
