using System.Globalization;

namespace Smp.Actors;

/// <summary>
/// Makes one simulated actor throw when it is handed a message of one type, to exercise the failure path
/// (report, stop, exit code) end to end: the exception is raised inside the actor's handler, exactly where
/// a simulator bug would be.
/// </summary>
/// <param name="ActorPath">The actor's path inside the simulation, for example <c>/cpu1</c>.</param>
/// <param name="MessageType">The message's type name, for example <c>StartupIpi</c>.</param>
public sealed record FaultInjection(string ActorPath, string MessageType)
{
    /// <summary>The environment variable read by <see cref="FromEnvironment"/>: <c>ACTOR:MESSAGE</c>, for example <c>cpu1:StartupIpi</c>.</summary>
    public const string Variable = "SMP_INJECT_FAULT";

    /// <summary>The injection named by <see cref="Variable"/>, or null when it is unset or malformed.</summary>
    /// <returns>The injection.</returns>
    public static FaultInjection? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split(':', 2, StringSplitOptions.TrimEntries);
        return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0
            ? new FaultInjection(parts[0].StartsWith('/') ? parts[0] : "/" + parts[0], parts[1])
            : null;
    }

    /// <summary>Whether the delivery of <paramref name="message"/> to the actor at <paramref name="path"/> must throw.</summary>
    /// <param name="path">The receiver's path inside the simulation.</param>
    /// <param name="message">The message.</param>
    /// <returns>True when it matches.</returns>
    public bool Matches(string path, object message) =>
        string.Equals(path, ActorPath, StringComparison.Ordinal) && string.Equals(message.GetType().Name, MessageType, StringComparison.Ordinal);

    /// <summary>The exception thrown by an injected fault.</summary>
    /// <param name="message">The message being handled.</param>
    /// <returns>The exception.</returns>
    public Exception CreateException(object message) =>
        new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"fault injected by {Variable} into {ActorPath} on {message.GetType().Name}"));
}
