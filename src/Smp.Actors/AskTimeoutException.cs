namespace Smp.Actors;

/// <summary>
/// The exception an <see cref="Simulation.Ask{T}"/> task fails with when no reply arrived
/// within its timeout, measured in simulated time.
/// </summary>
public sealed class AskTimeoutException : TimeoutException
{
    /// <summary>Creates the exception with a message saying which ask timed out.</summary>
    /// <param name="message">The description of the ask that timed out.</param>
    public AskTimeoutException(string message)
        : base(message)
    {
    }
}
