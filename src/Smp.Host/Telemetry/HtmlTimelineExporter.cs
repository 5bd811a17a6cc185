using System.Text;
using System.Text.Json;

namespace Smp.Host.Telemetry;

/// <summary>
/// Writes a <see cref="BootTrace"/> as a self-contained HTML page (inline CSS, JavaScript and SVG; no network):
/// one lane per CPU in simulated time, function spans as nested bars, events as ticks, IPIs as arrows
/// between lanes, details on hover and click, a time axis in ns/µs/ms, zoom and pan. The trace is
/// embedded as JSON. Lanes carry <c>data-lane="cpuN"</c>; the body gets <c>data-ready="1"</c> after the
/// first drawing, or <c>data-error</c> with the message if a script error happened.
/// </summary>
public static class HtmlTimelineExporter
{
    /// <summary>Renders the page.</summary>
    /// <param name="trace">An ended trace.</param>
    /// <returns>The HTML text.</returns>
    public static string ToHtml(BootTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var data = Encoding.UTF8.GetString(DataJson(trace));
        var title = $"smp boot timeline: {trace.Machine.CpuCount} CPUs, {trace.Machine.Image}, seed {trace.Machine.Seed}";
        return HtmlTimelineTemplate.Page
            .Replace("{{TITLE}}", System.Net.WebUtility.HtmlEncode(title), StringComparison.Ordinal)
            .Replace("{{DATA}}", data, StringComparison.Ordinal);
    }

    /// <summary>Writes the page to <paramref name="path"/> (whole, through a temporary file: see <see cref="Files.OutputFile"/>).</summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="path">The file.</param>
    public static void WriteFile(BootTrace trace, string path) =>
        Files.OutputFile.Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(ToHtml(trace))));

    /// <summary>The embedded data: machine, CPUs, spans, events and IPIs (JSON safe to put inside a script element).</summary>
    /// <param name="trace">An ended trace.</param>
    /// <returns>UTF-8 JSON.</returns>
    internal static byte[] DataJson(BootTrace trace)
    {
        using var stream = new MemoryStream();
        // The default encoder escapes <, > and &, so the JSON cannot close the script element.
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("traceId", trace.TraceIdHex);
            json.WriteNumber("endNs", trace.Root.EndNs);
            json.WriteString("image", trace.Machine.Image);
            json.WriteNumber("cpuCount", trace.Machine.CpuCount);
            json.WriteNumber("memoryMiB", trace.Machine.MemoryMiB);
            json.WriteString("seed", trace.Machine.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("detail", trace.Detail.ToString().ToLowerInvariant());
            Attributes(json, "machine", trace.Root.Attributes);

            json.WriteStartArray("cpus");
            foreach (var span in trace.Spans.Where(s => s.Kind == TraceSpanKind.Cpu).OrderBy(s => s.Cpu))
            {
                json.WriteStartObject();
                json.WriteNumber("cpu", span.Cpu);
                json.WriteString("name", span.Name);
                json.WriteString("role", span.Attribute("cpu.role") as string ?? string.Empty);
                json.WriteNumber("start", span.StartNs);
                json.WriteNumber("end", span.EndNs);
                json.WriteString("id", span.SpanIdHex);
                Attributes(json, "attrs", span.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("spans");
            foreach (var span in trace.Spans.Where(s => s.Kind == TraceSpanKind.Function))
            {
                json.WriteStartObject();
                json.WriteString("id", span.SpanIdHex);
                json.WriteNumber("cpu", span.Cpu);
                json.WriteString("name", span.Name);
                json.WriteNumber("start", span.StartNs);
                json.WriteNumber("end", span.EndNs);
                json.WriteNumber("depth", span.Depth);
                json.WriteString("parent", span.Parent?.Name ?? string.Empty);
                Attributes(json, "attrs", span.Attributes);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("events");
            foreach (var span in trace.Spans)
            {
                foreach (var traceEvent in span.Events)
                {
                    json.WriteStartObject();
                    json.WriteNumber("cpu", traceEvent.Cpu);
                    json.WriteString("name", traceEvent.Name);
                    json.WriteNumber("t", traceEvent.TimeNs);
                    json.WriteString("span", span.Name);
                    Attributes(json, "attrs", traceEvent.Attributes);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();

            json.WriteStartArray("ipis");
            foreach (var ipi in trace.Ipis)
            {
                json.WriteStartObject();
                json.WriteNumber("id", ipi.Id);
                json.WriteNumber("from", ipi.FromCpu);
                json.WriteNumber("to", ipi.ToCpu);
                json.WriteString("mode", ipi.Mode);
                json.WriteNumber("vector", ipi.Vector);
                json.WriteNumber("sent", ipi.SentNs);
                if (ipi.ReceivedNs is { } received)
                {
                    json.WriteNumber("recv", received);
                }
                else
                {
                    json.WriteNull("recv");
                }

                json.WriteString("sender", ipi.Sender.Name);
                json.WriteString("receiver", ipi.Receiver?.Name ?? string.Empty);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void Attributes(Utf8JsonWriter json, string name, IReadOnlyList<TraceAttribute> attributes)
    {
        json.WriteStartArray(name);
        foreach (var attribute in attributes)
        {
            json.WriteStartArray();
            json.WriteStringValue(attribute.Key);
            json.WriteStringValue(attribute.ValueText());
            json.WriteEndArray();
        }

        json.WriteEndArray();
    }
}
