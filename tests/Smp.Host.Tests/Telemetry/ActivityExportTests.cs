using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Smp.Host.Telemetry;
using TraceOptions = Smp.Host.Telemetry.TraceOptions;

namespace Smp.Host.Tests.Telemetry;

public sealed class ActivityExportTests
{
    [Fact]
    public void Activities_carry_the_deterministic_ids_simulated_times_events_and_links()
    {
        var trace = SyntheticBoot.Record();
        var exporter = new InMemoryActivityExporter();

        Assert.True(OtlpLiveExporter.ExportTo(trace, exporter));

        var activities = exporter.Exported;
        Assert.Equal(trace.Spans.Count, activities.Count);
        for (var i = 0; i < activities.Count; i++)
        {
            var span = trace.Spans[i];
            var activity = activities[i];
            Assert.Equal(span.Name, activity.DisplayName);
            Assert.Equal(span.SpanIdHex, activity.SpanId.ToHexString());
            Assert.Equal(trace.TraceIdHex, activity.TraceId.ToHexString());
            Assert.Equal(span.Parent?.SpanIdHex ?? "0000000000000000", activity.ParentSpanId.ToHexString());
            Assert.Equal(ActivityConverter.ToUtc(span.StartNs), activity.StartTimeUtc);
            Assert.Equal(TimeSpan.FromTicks((span.EndNs - span.StartNs) / 100), activity.Duration);
            Assert.Equal(span.Events.Count, activity.Events.Count());
            Assert.Equal(span.Links.Count, activity.Links.Count());
            Assert.Equal("Smp", activity.Source.Name);
            Assert.True(activity.Recorded);
        }

        var start = activities.Single(a => a.DisplayName == "start_kernel");
        Assert.Equal(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMilliseconds(0.5), start.StartTimeUtc);
        var ap2 = activities.Single(a => a.DisplayName == "CPU2 (AP)");
        Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Gs(2)), ap2.GetTagItem("gs.base"));
        Assert.Equal(2L, ap2.GetTagItem("cpu.apic_id"));
        var wakeup2 = activities.Where(a => a.DisplayName == "wakeup_secondary_cpu_via_init").ElementAt(1);
        Assert.All(wakeup2.Links, l => Assert.Equal(ap2.SpanId, l.Context.SpanId));
        Assert.Contains(ap2.Events, e => e.Name == "sipi.accepted" && e.Timestamp == new DateTimeOffset(ActivityConverter.ToUtc(SyntheticBoot.BringUpNs(2) + 10_020_500)));
        Assert.Null(Activity.Current);

        var resource = exporter.ProviderResource.Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("smp", resource["service.name"]);
        Assert.Equal("42", resource["smp.seed"]);
    }

    [Theory]
    [InlineData("http://collector:4318", "http://collector:4318/v1/traces")]
    [InlineData("http://collector:4318/", "http://collector:4318/v1/traces")]
    [InlineData("https://c.example/otel", "https://c.example/otel/v1/traces")]
    [InlineData("http://collector:4318/v1/traces", "http://collector:4318/v1/traces")]
    public void The_traces_path_is_appended_to_the_endpoint(string endpoint, string expected)
    {
        Assert.Equal(new Uri(expected), OtlpLiveExporter.ResolveTracesEndpoint(new Uri(endpoint)));
    }

    [Fact]
    public async Task The_OTLP_exporter_really_sends_protobuf_to_v1_traces()
    {
        var trace = SyntheticBoot.Record();
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var received = new List<(string Method, string Path, string? ContentType, byte[] Body)>();
        var serve = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (received)
                {
                    received.Add((context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        });

        var endpoint = OtlpLiveExporter.ResolveTracesEndpoint(new Uri($"http://127.0.0.1:{port}"))!;
        var ok = await Task.Run(() => OtlpLiveExporter.Export(trace, endpoint, TimeSpan.FromSeconds(10)));
        listener.Stop();
        await serve;

        Assert.True(ok);
        var request = Assert.Single(received);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/traces", request.Path);
        Assert.Equal("application/x-protobuf", request.ContentType);
        Assert.NotEmpty(request.Body);
        foreach (var name in new[] { "start_kernel", "wakeup_secondary_cpu_via_init", "trampoline_start", "CPU3 (AP)", "gdt.base", "sipi.accepted", "smp" })
        {
            Assert.True(Contains(request.Body, Encoding.UTF8.GetBytes(name)), $"the body lacks '{name}'");
        }

        // Protobuf carries IDs as raw bytes: the trace ID and start_kernel's span ID are in the body.
        Assert.True(Contains(request.Body, Convert.FromHexString(trace.TraceIdHex)));
        Assert.True(Contains(request.Body, Convert.FromHexString(trace.Spans.Single(s => s.Name == "start_kernel").SpanIdHex)));
    }

    [Fact]
    public void An_unreachable_collector_is_reported_in_one_sentence()
    {
        var port = FreePort();
        var err = new StringWriter();
        var sink = new TelemetrySink(new TraceOptions(OtlpEndpoint: new Uri($"http://127.0.0.1:{port}")), err) { OtlpTimeout = TimeSpan.FromSeconds(3) };

        var ok = sink.Export(SyntheticBoot.Record(), SyntheticBoot.EndNs, TimeSpan.Zero);

        Assert.False(ok);
        var line = Assert.Single(err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"smp: --otlp could not export the trace to http://127.0.0.1:{port}/v1/traces", line);
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
