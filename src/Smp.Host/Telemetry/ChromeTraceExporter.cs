using System.Text.Encodings.Web;
using System.Text.Json;

namespace Smp.Host.Telemetry;

/// <summary>
/// Writes a <see cref="BootTrace"/> in the Chrome Trace Event format (<c>{"traceEvents":[...]}</c>), loadable in
/// Perfetto and chrome://tracing: process 1 is the machine, thread N is CPU N (named "CPU0 (BSP)"...),
/// spans are complete events (<c>X</c>), events are thread-scoped instants (<c>i</c>), IPIs are flows
/// (<c>s</c> at the sender, <c>f</c> at the receiver). Times are microseconds.
/// </summary>
public static class ChromeTraceExporter
{
    /// <summary>The process id of every event.</summary>
    public const int ProcessId = 1;

    /// <summary>Serializes <paramref name="trace"/> to UTF-8 JSON.</summary>
    /// <param name="trace">An ended trace.</param>
    /// <returns>The bytes.</returns>
    public static byte[] ToUtf8(BootTrace trace)
    {
        using var stream = new MemoryStream();
        Write(trace, stream);
        return stream.ToArray();
    }

    /// <summary>Writes <paramref name="trace"/> to <paramref name="path"/> (whole, through a temporary file: see <see cref="Files.OutputFile"/>).</summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="path">The file.</param>
    public static void WriteFile(BootTrace trace, string path) => Files.OutputFile.Write(path, stream => Write(trace, stream));

    /// <summary>Writes <paramref name="trace"/> to <paramref name="stream"/>.</summary>
    /// <param name="trace">An ended trace.</param>
    /// <param name="stream">The destination.</param>
    public static void Write(BootTrace trace, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(trace);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ns");
        json.WriteStartObject("otherData");
        json.WriteString("traceId", trace.TraceIdHex);
        foreach (var attribute in trace.Root.Attributes)
        {
            // Wall time differs between two runs of one seed: like the OTLP file, the trace file leaves it out.
            if (attribute.Key == OtlpJsonExporter.WallClockAttribute) continue;
            json.WriteString(attribute.Key, attribute.ValueText());
        }

        json.WriteEndObject();
        json.WriteStartArray("traceEvents");

        Metadata(json, "process_name", 0, $"smp: {trace.Machine.CpuCount} CPUs, {trace.Machine.Image}, seed {trace.Machine.Seed}");
        var cpuSpans = trace.Spans.Where(s => s.Kind == TraceSpanKind.Cpu).OrderBy(s => s.Cpu).ToList();
        foreach (var cpu in cpuSpans)
        {
            Metadata(json, "thread_name", cpu.Cpu, cpu.Name);
            json.WriteStartObject();
            json.WriteString("name", "thread_sort_index");
            json.WriteString("ph", "M");
            json.WriteNumber("pid", ProcessId);
            json.WriteNumber("tid", cpu.Cpu);
            json.WriteStartObject("args");
            json.WriteNumber("sort_index", cpu.Cpu);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        foreach (var span in trace.Spans)
        {
            if (span.Kind == TraceSpanKind.Machine)
            {
                continue;
            }

            json.WriteStartObject();
            json.WriteString("name", span.Name);
            json.WriteString("cat", span.Kind == TraceSpanKind.Cpu ? "cpu" : "function");
            json.WriteString("ph", "X");
            json.WriteNumber("pid", ProcessId);
            json.WriteNumber("tid", span.Cpu);
            json.WriteNumber("ts", Micros(span.StartNs));
            json.WriteNumber("dur", Micros(span.EndNs - span.StartNs));
            WriteArgs(json, span.Attributes, ("span_id", span.SpanIdHex));
            json.WriteEndObject();
        }

        foreach (var span in trace.Spans)
        {
            foreach (var traceEvent in span.Events)
            {
                json.WriteStartObject();
                json.WriteString("name", traceEvent.Name);
                json.WriteString("cat", "event");
                json.WriteString("ph", "i");
                json.WriteString("s", "t");
                json.WriteNumber("pid", ProcessId);
                json.WriteNumber("tid", traceEvent.Cpu);
                json.WriteNumber("ts", Micros(traceEvent.TimeNs));
                WriteArgs(json, traceEvent.Attributes, ("span", span.Name));
                json.WriteEndObject();
            }
        }

        foreach (var ipi in trace.Ipis)
        {
            if (ipi.ReceivedNs is not { } received)
            {
                continue;
            }

            var name = $"IPI {ipi.Mode}";
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("cat", "ipi");
            json.WriteString("ph", "s");
            json.WriteNumber("id", ipi.Id);
            json.WriteNumber("pid", ProcessId);
            json.WriteNumber("tid", ipi.FromCpu);
            json.WriteNumber("ts", Micros(ipi.SentNs));
            json.WriteEndObject();

            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("cat", "ipi");
            json.WriteString("ph", "f");
            json.WriteString("bp", "e");
            json.WriteNumber("id", ipi.Id);
            json.WriteNumber("pid", ProcessId);
            json.WriteNumber("tid", ipi.ToCpu);
            json.WriteNumber("ts", Micros(received));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static double Micros(long ns) => ns / 1000.0;

    private static void Metadata(Utf8JsonWriter json, string name, int tid, string value)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("ph", "M");
        json.WriteNumber("pid", ProcessId);
        json.WriteNumber("tid", tid);
        json.WriteStartObject("args");
        json.WriteString("name", value);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteArgs(Utf8JsonWriter json, IReadOnlyList<TraceAttribute> attributes, (string Key, string Value) extra)
    {
        json.WriteStartObject("args");
        json.WriteString(extra.Key, extra.Value);
        foreach (var attribute in attributes)
        {
            switch (attribute.Value)
            {
                case long l:
                    json.WriteNumber(attribute.Key, l);
                    break;
                case double d:
                    json.WriteNumber(attribute.Key, d);
                    break;
                case bool b:
                    json.WriteBoolean(attribute.Key, b);
                    break;
                default:
                    json.WriteString(attribute.Key, attribute.ValueText());
                    break;
            }
        }

        json.WriteEndObject();
    }
}
