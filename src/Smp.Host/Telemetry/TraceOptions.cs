namespace Smp.Host.Telemetry;

/// <summary>What to trace and where to export it, from the <c>smp boot</c>/<c>smp run</c> options.</summary>
/// <param name="OtlpJsonPath"><c>--trace FILE</c>: the OTLP-JSON file, or null.</param>
/// <param name="OtlpEndpoint"><c>--otlp URL</c>: the collector, or null (then <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> applies only if <see cref="UseEnvironmentEndpoint"/>).</param>
/// <param name="ChromeTracePath"><c>--chrome-trace FILE</c>, or null.</param>
/// <param name="TimelinePath"><c>--timeline FILE.html</c>, or null.</param>
/// <param name="Detail"><c>--trace-detail</c>.</param>
/// <param name="Watch"><c>--watch NAME</c> additions to the default watch list.</param>
public sealed record TraceOptions(
    string? OtlpJsonPath = null,
    Uri? OtlpEndpoint = null,
    string? ChromeTracePath = null,
    string? TimelinePath = null,
    TraceDetail Detail = TraceDetail.Events,
    IReadOnlyList<string>? Watch = null)
{
    /// <summary>No tracing.</summary>
    public static TraceOptions None { get; } = new();

    /// <summary>The gdb stub to start for the run (<c>--gdb</c>, <c>--wait-gdb</c>), or null: it observes the run as the trace does.</summary>
    internal Gdb.GdbOptions? Gdb { get; init; }

    /// <summary>
    /// Whether a set <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> turns on the live export without <c>--otlp</c>.
    /// Off by default: an environment variable meant for other programs should not make every run export.
    /// </summary>
    public bool UseEnvironmentEndpoint { get; init; }

    /// <summary><c>--trace-event-limit N</c>: events of one name each CPU keeps (<see cref="BootTrace.EventLimit"/>).</summary>
    public int EventLimit { get; init; } = BootTrace.DefaultEventLimit;

    /// <summary>Whether any export is requested: when false, the integrator creates no <see cref="BootTrace"/> at all.</summary>
    public bool Enabled => OtlpJsonPath is not null || ChromeTracePath is not null || TimelinePath is not null || TracesEndpoint is not null;

    /// <summary>The URL the live export POSTs to (…/v1/traces), or null.</summary>
    public Uri? TracesEndpoint => OtlpEndpoint is not null || UseEnvironmentEndpoint ? OtlpLiveExporter.ResolveTracesEndpoint(OtlpEndpoint) : null;

    /// <summary>The watch list: the defaults plus <see cref="Watch"/>.</summary>
    /// <returns>The list.</returns>
    public SymbolWatchList WatchList() => new(Watch);

    /// <summary>A recorder for a run of <paramref name="machine"/> at <see cref="Detail"/>, or null when nothing is exported.</summary>
    /// <param name="machine">The machine.</param>
    /// <returns>The recorder or null.</returns>
    public BootTrace? CreateTrace(TraceMachine machine) => Enabled ? new BootTrace(machine, Detail) { EventLimit = EventLimit } : null;

    /// <summary>
    /// Checks that every output file can be written (<see cref="Files.OutputFile.Problem"/>), before the run
    /// starts. Returns one sentence for the first problem, or null.
    /// </summary>
    /// <returns>The problem, or null.</returns>
    public string? Validate()
    {
        foreach (var (option, path) in new[] { ("--trace", OtlpJsonPath), ("--chrome-trace", ChromeTracePath), ("--timeline", TimelinePath) })
        {
            if (path is not null && Files.OutputFile.Problem(path) is { } problem)
            {
                return $"{option} '{path}' {problem}.";
            }
        }

        return null;
    }
}
