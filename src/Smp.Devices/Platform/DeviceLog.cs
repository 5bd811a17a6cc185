namespace Smp.Devices.Platform;

/// <summary>
/// Collects what devices report about guest behaviour they do not model (Renode's habit: unmodelled
/// bits are named and logged, never silently dropped). Each distinct message is kept once, with a count,
/// so a guest hammering an unmodelled bit cannot flood the log.
/// </summary>
public sealed class DeviceLog
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _entries = [];

    /// <summary>Distinct messages in the order first seen, each prefixed with the reporting device's name.</summary>
    public IReadOnlyList<string> Entries => _entries;

    /// <summary>Raised the first time each distinct message is logged (the CLI forwards these to standard error).</summary>
    public event Action<string>? Logged;

    /// <summary>How many times <paramref name="message"/> (as it appears in <see cref="Entries"/>) has been reported.</summary>
    public int CountOf(string message) => _counts.TryGetValue(message, out int n) ? n : 0;

    /// <summary>Reports that <paramref name="device"/> saw the guest use a feature it does not model.</summary>
    public void Unmodelled(string device, string what)
    {
        string message = $"{device}: {what}";
        if (_counts.TryGetValue(message, out int n)) { _counts[message] = n + 1; return; }
        _counts[message] = 1;
        _entries.Add(message);
        Logged?.Invoke(message);
    }
}
