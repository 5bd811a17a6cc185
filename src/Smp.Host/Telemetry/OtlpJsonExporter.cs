using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Smp.Host.Telemetry;

/// <summary>
/// Writes a <see cref="BootTrace"/> as one OTLP/HTTP JSON document (<c>{"resourceSpans":[...]}</c>), as
/// collectors and Jaeger-compatible tools import it. The output is a pure function of the model:
/// the same recording gives the same bytes.
/// </summary>
public static class OtlpJsonExporter
{
    /// <summary>The instrumentation scope name of every span.</summary>
    public const string ScopeName = "Smp";

    /// <summary>The service name in the resource.</summary>
    public const string ServiceName = "smp";

    /// <summary>Serializes <paramref name="trace"/> to UTF-8 JSON.</summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="indented">Whether to indent (the file export is indented for people who read it).</param>
    /// <returns>The bytes.</returns>
    public static byte[] ToUtf8(BootTrace trace, bool indented = true)
    {
        using var stream = new MemoryStream();
        Write(trace, stream, indented);
        return stream.ToArray();
    }

    /// <summary>Writes <paramref name="trace"/> to <paramref name="path"/> (whole, through a temporary file: see <see cref="Files.OutputFile"/>).</summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="path">The file.</param>
    public static void WriteFile(BootTrace trace, string path) => Files.OutputFile.Write(path, stream => Write(trace, stream));

    /// <summary>Writes <paramref name="trace"/> to <paramref name="stream"/>.</summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="stream">The destination.</param>
    /// <param name="indented">Whether to indent.</param>
    public static void Write(BootTrace trace, Stream stream, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(trace);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteStartArray("resourceSpans");
        json.WriteStartObject();
        json.WriteStartObject("resource");
        WriteAttributes(json, ResourceAttributes(trace));
        json.WriteEndObject();
        json.WriteStartArray("scopeSpans");
        json.WriteStartObject();
        json.WriteStartObject("scope");
        json.WriteString("name", ScopeName);
        json.WriteString("version", Version);
        json.WriteEndObject();
        json.WriteStartArray("spans");
        var traceId = trace.TraceIdHex;
        foreach (var span in trace.Spans)
        {
            WriteSpan(json, trace, traceId, span);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The scope version: the simulator's version (fixed per build, so output stays deterministic).</summary>
    internal static string Version => typeof(OtlpJsonExporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The resource attributes every export carries.</summary>
    /// <param name="trace">The trace.</param>
    /// <returns>The attributes.</returns>
    internal static List<TraceAttribute> ResourceAttributes(BootTrace trace) =>
    [
        new("service.name", ServiceName),
        new("service.version", Version),
        new("smp.seed", trace.Machine.Seed.ToString(CultureInfo.InvariantCulture)),
        new("smp.cpus", (long)trace.Machine.CpuCount),
        new("smp.image", trace.Machine.Image),
    ];

    private static void WriteSpan(Utf8JsonWriter json, BootTrace trace, string traceId, TraceSpan span)
    {
        json.WriteStartObject();
        json.WriteString("traceId", traceId);
        json.WriteString("spanId", span.SpanIdHex);
        if (span.Parent is { } parent)
        {
            json.WriteString("parentSpanId", parent.SpanIdHex);
        }

        json.WriteString("name", span.Name);
        json.WriteNumber("kind", 1); // SPAN_KIND_INTERNAL
        json.WriteString("startTimeUnixNano", UnixNanos(span.StartNs));
        json.WriteString("endTimeUnixNano", UnixNanos(span.IsOpen ? Math.Max(span.StartNs, trace.Root.EndNs) : span.EndNs));
        // The host's wall-clock time is the one value that differs between two runs of the same seed: the file
        // leaves it out so that the same run gives the same bytes (the live export and the timeline keep it).
        WriteAttributes(json, span.Attributes.Where(a => a.Key != WallClockAttribute).ToList());
        if (span.Events.Count > 0)
        {
            json.WriteStartArray("events");
            foreach (var traceEvent in span.Events)
            {
                json.WriteStartObject();
                json.WriteString("timeUnixNano", UnixNanos(traceEvent.TimeNs));
                json.WriteString("name", traceEvent.Name);
                WriteAttributes(json, traceEvent.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (span.Links.Count > 0)
        {
            json.WriteStartArray("links");
            foreach (var link in span.Links)
            {
                json.WriteStartObject();
                json.WriteString("traceId", traceId);
                json.WriteString("spanId", link.Target.SpanIdHex);
                WriteAttributes(json, link.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteStartObject("status");
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The machine span's wall-clock attribute, left out of the file (it is not deterministic).</summary>
    public const string WallClockAttribute = "run.wall_clock_ms";

    private static string UnixNanos(long timeNs) => BootTrace.ToUnixNanos(timeNs).ToString(CultureInfo.InvariantCulture);

    private static void WriteAttributes(Utf8JsonWriter json, IReadOnlyList<TraceAttribute> attributes)
    {
        json.WriteStartArray("attributes");
        foreach (var attribute in attributes)
        {
            json.WriteStartObject();
            json.WriteString("key", attribute.Key);
            json.WriteStartObject("value");
            switch (attribute.Value)
            {
                case long l:
                    // OTLP/JSON encodes int64 as a decimal string.
                    json.WriteString("intValue", l.ToString(CultureInfo.InvariantCulture));
                    break;
                case double d:
                    json.WriteNumber("doubleValue", d);
                    break;
                case bool b:
                    json.WriteBoolean("boolValue", b);
                    break;
                default:
                    json.WriteString("stringValue", attribute.ValueText());
                    break;
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
