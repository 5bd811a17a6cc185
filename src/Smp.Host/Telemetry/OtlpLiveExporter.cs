using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Smp.Host.Telemetry;

/// <summary>
/// Sends a <see cref="BootTrace"/> to an OTLP collector with the official OpenTelemetry exporter
/// (<see cref="OtlpTraceExporter"/>, http/protobuf), after the run: the spans carry simulated times,
/// so there is nothing to gain from streaming them during it.
/// </summary>
public static class OtlpLiveExporter
{
    /// <summary>The standard environment variable naming the collector's base URL.</summary>
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Spans per export request.</summary>
    public const int BatchSize = 512;

    /// <summary>
    /// The traces URL: <paramref name="endpoint"/> (or, when null, <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) with
    /// <c>/v1/traces</c> appended unless the URL already names that path. Null when neither is set or valid.
    /// </summary>
    /// <param name="endpoint">The <c>--otlp</c> URL, or null.</param>
    /// <returns>The URL to POST to, or null.</returns>
    public static Uri? ResolveTracesEndpoint(Uri? endpoint)
    {
        if (endpoint is null)
        {
            var text = Environment.GetEnvironmentVariable(EndpointVariable);
            if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out endpoint))
            {
                return null;
            }
        }

        var path = endpoint.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1/traces", StringComparison.Ordinal))
        {
            return endpoint;
        }

        var builder = new UriBuilder(endpoint) { Path = path + "/v1/traces" };
        return builder.Uri;
    }

    /// <summary>Exports <paramref name="trace"/> to <paramref name="tracesEndpoint"/> (the full <c>/v1/traces</c> URL).</summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="tracesEndpoint">The URL to POST to.</param>
    /// <param name="timeout">The time limit of each request.</param>
    /// <returns>True when every batch was accepted.</returns>
    public static bool Export(BootTrace trace, Uri tracesEndpoint, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(tracesEndpoint);
        var options = new OtlpExporterOptions
        {
            Endpoint = tracesEndpoint,
            Protocol = OtlpExportProtocol.HttpProtobuf,
            TimeoutMilliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue),
        };
        using var exporter = new OtlpTraceExporter(options);
        return ExportTo(trace, exporter);
    }

    /// <summary>
    /// Exports <paramref name="trace"/> through any <c>BaseExporter&lt;Activity&gt;</c> (the OTLP exporter, an
    /// in-memory one in tests), in batches of <see cref="BatchSize"/>, with the trace's resource attributes.
    /// </summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="exporter">The exporter; it is shut down by the provider built here, so pass a fresh one.</param>
    /// <returns>True when every batch succeeded.</returns>
    public static bool ExportTo(BootTrace trace, BaseExporter<Activity> exporter)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(exporter);
        var resource = ResourceBuilder.CreateEmpty().AddAttributes(
            OtlpJsonExporter.ResourceAttributes(trace).Select(a => new KeyValuePair<string, object>(a.Key, a.Value)));

        // A provider that listens to no source: it only gives the exporter its resource (ParentProvider).
        using var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddProcessor(new SimpleActivityExportProcessor(exporter))
            .Build();
        var activities = ActivityConverter.Convert(trace);
        var ok = true;
        for (var start = 0; start < activities.Length; start += BatchSize)
        {
            var count = Math.Min(BatchSize, activities.Length - start);
            var slice = new Activity[count];
            Array.Copy(activities, start, slice, 0, count);
            ok &= exporter.Export(new Batch<Activity>(slice, count)) == ExportResult.Success;
        }

        return ok;
    }
}

/// <summary>An exporter that keeps what it is given, for tests and tools (the SDK's own is not on the registry).</summary>
public sealed class InMemoryActivityExporter : BaseExporter<Activity>
{
    private readonly List<Activity> _exported = [];

    /// <summary>Every activity exported so far, in order.</summary>
    public IReadOnlyList<Activity> Exported
    {
        get
        {
            lock (_exported)
            {
                return [.. _exported];
            }
        }
    }

    /// <summary>The resource of the provider this exporter belongs to (empty if none).</summary>
    public Resource ProviderResource => ParentProvider?.GetResource() ?? Resource.Empty;

    /// <inheritdoc />
    public override ExportResult Export(in Batch<Activity> batch)
    {
        lock (_exported)
        {
            foreach (var activity in batch)
            {
                _exported.Add(activity);
            }
        }

        return ExportResult.Success;
    }
}
