namespace Smp.Host.Telemetry;

/// <summary>
/// Exports a finished <see cref="BootTrace"/> to every target of a <see cref="TraceOptions"/>: the OTLP-JSON
/// file, the Chrome trace, the HTML timeline and the live OTLP endpoint. Each target that fails is
/// reported as one sentence on the error writer; the others still run. A command that gets false from
/// <see cref="Export"/> exits with its trace-export-failed code.
/// </summary>
/// <param name="options">The requested targets.</param>
/// <param name="err">Where to report (standard error).</param>
public sealed class TelemetrySink(TraceOptions options, TextWriter err)
{
    /// <summary>The time limit of the live export's requests.</summary>
    public TimeSpan OtlpTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The command that names itself in the messages, such as <c>smp boot</c>.</summary>
    public string Command { get; init; } = "smp";

    /// <summary>Ends <paramref name="trace"/> if needed (at <paramref name="endNs"/>) and exports it everywhere requested.</summary>
    /// <param name="trace">The run's trace.</param>
    /// <param name="endNs">Simulated nanoseconds at the end of the run.</param>
    /// <param name="wallClock">The run's wall-clock duration.</param>
    /// <returns>True when every export succeeded.</returns>
    public bool Export(BootTrace trace, long endNs, TimeSpan wallClock)
    {
        ArgumentNullException.ThrowIfNull(trace);
        trace.End(endNs, wallClock);
        if (trace.DroppedEvents > 0)
        {
            err.WriteLine(FormattableString.Invariant(
                $"{Command}: the trace keeps the first {trace.EventLimit} events of each name per CPU; {trace.DroppedEvents} later ones are only counted (cpu.events_dropped; --trace-event-limit raises the limit)."));
        }

        var ok = true;
        ok &= Try("--trace", options.OtlpJsonPath, path => OtlpJsonExporter.WriteFile(trace, path));
        ok &= Try("--chrome-trace", options.ChromeTracePath, path => ChromeTraceExporter.WriteFile(trace, path));
        ok &= Try("--timeline", options.TimelinePath, path => HtmlTimelineExporter.WriteFile(trace, path));
        if (options.TracesEndpoint is { } endpoint)
        {
            bool sent;
            try
            {
                sent = OtlpLiveExporter.Export(trace, endpoint, OtlpTimeout);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                err.WriteLine($"{Command}: --otlp could not export the trace to {endpoint}: {ex.Message.TrimEnd('.')}.");
                return false;
            }

            if (!sent)
            {
                err.WriteLine($"{Command}: --otlp could not export the trace to {endpoint} (the collector could not be reached or did not accept it).");
                ok = false;
            }
        }

        return ok;
    }

    private bool Try(string option, string? path, Action<string> write)
    {
        if (path is null)
        {
            return true;
        }

        try
        {
            write(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            err.WriteLine($"{Command}: {option} could not write '{path}': {Files.FileError.Reason(ex, path)}.");
            return false;
        }
    }
}
