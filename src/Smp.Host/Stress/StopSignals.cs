using System.Runtime.InteropServices;

namespace Smp.Host.Stress;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM turned into a stop request for a campaign, so that it can end its seeds, write the report of
/// everything completed and exit with its own code instead of dying with its work. A second signal ends the process at
/// once, as usual. Listens only when the command runs as the process itself (tests call commands in-process).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations = [];

    private StopSignals(bool listen)
    {
        if (!listen) return;
        _registrations =
        [
            .. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(s => PosixSignalRegistration.Create(s, OnSignal)),
        ];
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>The signal received, or null.</summary>
    public PosixSignal? Received { get; private set; }

    /// <summary>Starts listening when <paramref name="err"/> is the process's own standard error.</summary>
    public static StopSignals Listen(TextWriter err) => new(ReferenceEquals(err, Console.Error));

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Received is not null) return; // the second signal takes its default action: the process ends
        Received = context.Signal;
        context.Cancel = true;
        _stop.Cancel();
    }
}
