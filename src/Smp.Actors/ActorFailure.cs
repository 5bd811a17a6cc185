namespace Smp.Actors;

/// <summary>
/// The report of an exception thrown inside a simulated actor (a simulator bug, not a guest fault). The conductor
/// delivers nothing more once a failure is reported, and the actor is stopped, not restarted.
/// </summary>
/// <param name="ActorPath">The actor's Akka path without the address, for example <c>/user/machine-1/cpu1</c>.</param>
/// <param name="Message">The message being handled, or null when the actor failed while starting or stopping.</param>
/// <param name="Exception">The exception the actor threw.</param>
/// <param name="Time">The simulated time of the failure, in nanoseconds.</param>
/// <param name="Stage">What the actor was doing: <c>handling</c>, <c>starting</c>, <c>stopping</c>, <c>receiving</c> or <c>running</c>.</param>
public sealed record ActorFailure(string ActorPath, object? Message, Exception Exception, long Time, string Stage)
{
    /// <summary>One line naming the actor, the stage, the message, the time and the exception.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        var what = Message is null ? Stage : $"{Stage} {Message}";
        return $"actor {ActorPath} failed while {what} at t={SimTime.Format(Time)}: {Exception.GetType().Name}: {Exception.Message}";
    }
}
