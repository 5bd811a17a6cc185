namespace Smp.Actors;

/// <summary>One delivery as recorded by <see cref="MessageLog"/>.</summary>
/// <param name="Time">The simulated time of the delivery, in nanoseconds.</param>
/// <param name="SenderPath">The sender's path, or <c>-</c> when the message had no sender.</param>
/// <param name="ReceiverPath">The receiver's path.</param>
/// <param name="Message">The message's <see cref="object.ToString"/>.</param>
public sealed record MessageLogEntry(long Time, string SenderPath, string ReceiverPath, string Message)
{
    /// <summary>The entry as one line: time, route and message.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"{Time} {SenderPath} -> {ReceiverPath}: {Message}";
}
