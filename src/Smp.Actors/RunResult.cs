namespace Smp.Actors;

/// <summary>Why a call that drives simulated time (<see cref="Simulation.RunUntilIdle"/> and friends) returned.</summary>
public enum RunResult
{
    /// <summary>No message is pending: the system is idle.</summary>
    Idle,

    /// <summary>The requested time limit was reached; messages due later are still pending.</summary>
    TimeLimitReached,

    /// <summary>An actor failed (see <see cref="Simulation.Failure"/>); nothing more is delivered.</summary>
    Failed,

    /// <summary>An actor or the host called <see cref="Simulation.RequestStop"/>.</summary>
    StopRequested,

    /// <summary>The caller's stop condition became true (used by the TestKit to wait for a message).</summary>
    ConditionMet,

    /// <summary>
    /// The run paused between two envelopes (<see cref="Simulation.RequestPause"/>, or an actor suspended its delivery):
    /// nothing moved on, and the next run resumes exactly there, as if the pause had not happened.
    /// </summary>
    Paused,
}
