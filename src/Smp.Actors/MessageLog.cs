namespace Smp.Actors;

/// <summary>
/// A recorder that keeps every delivery as a <see cref="MessageLogEntry"/>: for determinism
/// tests (two runs must produce equal logs) and for debugging.
/// </summary>
public sealed class MessageLog : IMessageRecorder
{
    private readonly List<MessageLogEntry> _entries = [];

    /// <summary>The deliveries recorded so far, in delivery order.</summary>
    public IReadOnlyList<MessageLogEntry> Entries => _entries;

    /// <inheritdoc />
    public void Record(long time, IActorRef? sender, IActorRef receiver, object message) =>
        _entries.Add(new MessageLogEntry(time, sender?.Path ?? "-", receiver.Path, message.ToString() ?? string.Empty));

    /// <summary>The whole log as text, one entry per line, for comparisons and failure messages.</summary>
    /// <returns>The log.</returns>
    public override string ToString() => string.Join('\n', _entries);
}
