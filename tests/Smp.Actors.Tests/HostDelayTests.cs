namespace Smp.Actors.Tests;

/// <summary>
/// Host timing must not leak into simulated time: random spins, sleeps and yields inside every handler leave the message
/// log identical to an undisturbed run, one envelope at a time (deterministic mode) and a quantum at a time on several
/// threads (parallel mode; the workload is message-only, so parallel mode must agree too).
/// </summary>
public sealed class HostDelayTests
{
    [Fact]
    public void Random_host_delays_in_handlers_leave_the_deterministic_message_log_unchanged()
    {
        var (reference, _) = DeterminismTests.RunWorkload(SimulationMode.Deterministic);
        var (disturbed, _) = DeterminismTests.RunWorkload(SimulationMode.Deterministic, jitter: true);
        var (again, _) = DeterminismTests.RunWorkload(SimulationMode.Deterministic, jitter: true);

        Assert.True(reference.Entries.Count > 1_000);
        Assert.Equal(reference.Entries, disturbed.Entries);
        Assert.Equal(reference.Entries, again.Entries);
    }

    [Fact]
    public void Random_host_delays_in_parallel_mode_leave_the_message_log_of_message_only_actors_unchanged()
    {
        var (reference, _) = DeterminismTests.RunWorkload(SimulationMode.Deterministic);
        var (disturbed, _) = DeterminismTests.RunWorkload(SimulationMode.Parallel, jitter: true);
        var (again, _) = DeterminismTests.RunWorkload(SimulationMode.Parallel, jitter: true);

        Assert.Equal(reference.Entries, disturbed.Entries);
        Assert.Equal(reference.Entries, again.Entries);
    }
}
