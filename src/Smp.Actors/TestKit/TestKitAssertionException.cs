namespace Smp.Actors.TestKit;

/// <summary>
/// Thrown by the TestKit when an expectation fails (a message did not arrive in time, arrived
/// with the wrong type, or arrived when none was expected). Test frameworks report it as a failure.
/// </summary>
public sealed class TestKitAssertionException : Exception
{
    /// <summary>Creates the exception with a message describing the failed expectation.</summary>
    /// <param name="message">What was expected and what happened.</param>
    public TestKitAssertionException(string message)
        : base(message)
    {
    }
}
