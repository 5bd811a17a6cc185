namespace Smp.Actors;

/// <summary>
/// A recorder that keeps every delivery as a <see cref="MessageLogEntry"/>: for determinism tests (two runs must
/// produce equal logs) and for debugging. Paths are relative to the simulation, so logs of two simulations compare.
/// </summary>
public sealed class MessageLog : IMessageRecorder
{
    private readonly List<MessageLogEntry> _entries = [];

    /// <summary>The deliveries recorded so far, in delivery order.</summary>
    public IReadOnlyList<MessageLogEntry> Entries => _entries;

    /// <inheritdoc />
    public void Record(long time, string senderPath, string receiverPath, object message) =>
        _entries.Add(new MessageLogEntry(time, senderPath, receiverPath, message.ToString() ?? string.Empty));

    /// <summary>The whole log as text, one entry per line, for comparisons and failure messages.</summary>
    /// <returns>The log.</returns>
    public override string ToString() => string.Join('\n', _entries);
}
