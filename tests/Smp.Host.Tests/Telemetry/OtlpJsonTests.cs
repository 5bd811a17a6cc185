using System.Text.Json;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Telemetry;

public sealed class OtlpJsonTests
{
    internal sealed record Span(string Id, string? Parent, string Name, long Start, long End, JsonElement Json)
    {
        public string? Attr(string key)
        {
            foreach (var a in Json.GetProperty("attributes").EnumerateArray())
            {
                if (a.GetProperty("key").GetString() == key)
                {
                    var v = a.GetProperty("value");
                    return v.TryGetProperty("stringValue", out var s) ? s.GetString()
                        : v.TryGetProperty("intValue", out var i) ? i.GetString()
                        : v.EnumerateObject().First().Value.ToString();
                }
            }

            return null;
        }

        public IEnumerable<JsonElement> Events => Json.TryGetProperty("events", out var e) ? e.EnumerateArray() : [];

        public IEnumerable<JsonElement> Links => Json.TryGetProperty("links", out var l) ? l.EnumerateArray() : [];
    }

    internal static (JsonDocument Doc, List<Span> Spans) Parse(BootTrace trace)
    {
        var doc = JsonDocument.Parse(OtlpJsonExporter.ToUtf8(trace));
        var spans = doc.RootElement.GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans").EnumerateArray()
            .Select(s => new Span(
                s.GetProperty("spanId").GetString()!,
                s.TryGetProperty("parentSpanId", out var p) ? p.GetString() : null,
                s.GetProperty("name").GetString()!,
                long.Parse(s.GetProperty("startTimeUnixNano").GetString()!),
                long.Parse(s.GetProperty("endTimeUnixNano").GetString()!),
                s))
            .ToList();
        return (doc, spans);
    }

    private static string Path(List<Span> spans, Span span)
    {
        var names = new List<string>();
        for (Span? s = span; s is not null; s = spans.SingleOrDefault(x => x.Id == s.Parent))
        {
            names.Insert(0, s.Name);
        }

        return string.Join(" > ", names);
    }

    [Fact]
    public void The_document_has_the_OTLP_shape_with_one_resource_scope_and_trace()
    {
        var trace = SyntheticBoot.Record();
        var (doc, spans) = Parse(trace);
        var resourceSpans = doc.RootElement.GetProperty("resourceSpans");
        Assert.Equal(1, resourceSpans.GetArrayLength());
        var resource = resourceSpans[0].GetProperty("resource").GetProperty("attributes").EnumerateArray()
            .ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal("smp", resource["service.name"].GetProperty("stringValue").GetString());
        Assert.Equal("4", resource["smp.cpus"].GetProperty("intValue").GetString());
        Assert.Equal("Smp", resourceSpans[0].GetProperty("scopeSpans")[0].GetProperty("scope").GetProperty("name").GetString());

        // 1 machine + 4 CPUs + BSP: start_kernel, rest_init, kernel_init, smp_init, 3 × (do_boot_cpu, wakeup) + APs: 3 × 3.
        Assert.Equal(1 + 4 + 4 + 6 + 9, spans.Count);
        Assert.All(spans, s => Assert.Equal(trace.TraceIdHex, s.Json.GetProperty("traceId").GetString()));
        Assert.All(spans, s => Assert.Matches("^[0-9a-f]{16}$", s.Id));
        Assert.Matches("^[0-9a-f]{32}$", trace.TraceIdHex);
        Assert.Equal(spans.Count, spans.Select(s => s.Id).Distinct().Count());

        var machine = Assert.Single(spans, s => s.Parent is null);
        Assert.Equal("machine", machine.Name);
        Assert.Equal("4", machine.Attr("machine.cpus"));
        Assert.Equal("128", machine.Attr("machine.memory_mib"));
        Assert.Equal("built-in", machine.Attr("machine.image"));
        Assert.Equal("42", machine.Attr("machine.seed"));
        Assert.Null(machine.Attr("run.wall_clock_ms")); // host time: not in the file, so two runs give the same bytes
        Assert.Equal(BootTrace.EpochUnixNanos, machine.Start);
        Assert.Equal(946_684_800_000_000_000L + SyntheticBoot.EndNs, machine.End);
    }

    [Fact]
    public void The_BSP_span_contains_start_kernel_down_to_one_do_boot_cpu_per_AP()
    {
        var (_, spans) = Parse(SyntheticBoot.Record());

        var bootCpus = spans.Where(s => s.Name == "do_boot_cpu").ToList();
        Assert.Equal(3, bootCpus.Count);
        Assert.All(bootCpus, s => Assert.Equal("machine > CPU0 (BSP) > start_kernel > rest_init > kernel_init > smp_init > do_boot_cpu", Path(spans, s)));
        var wakeups = spans.Where(s => s.Name == "wakeup_secondary_cpu_via_init").ToList();
        Assert.Equal(3, wakeups.Count);
        Assert.Equal(bootCpus.Select(s => s.Id), wakeups.Select(w => w.Parent));

        var startKernel = spans.Single(s => s.Name == "start_kernel");
        Assert.Equal(BootTrace.EpochUnixNanos + SyntheticBoot.StartKernelNs, startKernel.Start);
        // start_kernel never returns: it ends with the BSP's span, at the end of the run.
        Assert.Equal(BootTrace.EpochUnixNanos + SyntheticBoot.EndNs, startKernel.End);
        var first = bootCpus[0];
        Assert.Equal(BootTrace.EpochUnixNanos + SyntheticBoot.BringUpNs(1), first.Start);
        Assert.Equal(BootTrace.EpochUnixNanos + SyntheticBoot.BringUpNs(1) + 10_100_000, first.End);
        // The BSP's table loads are events on start_kernel with their values.
        var ltr = startKernel.Events.Single(e => e.GetProperty("name").GetString() == "ltr");
        var ist1 = ltr.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("key").GetString() == "ist.1");
        Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Ist(0, 1)), ist1.GetProperty("value").GetProperty("stringValue").GetString());
    }

    [Fact]
    public void Each_AP_runs_trampoline_then_secondary_startup_then_idle_in_its_own_span()
    {
        var (_, spans) = Parse(SyntheticBoot.Record());

        for (var ap = 1; ap < SyntheticBoot.Cpus; ap++)
        {
            var cpu = spans.Single(s => s.Name == $"CPU{ap} (AP)");
            Assert.Equal("AP", cpu.Attr("cpu.role"));
            Assert.Equal(ap.ToString(), cpu.Attr("cpu.apic_id"));
            Assert.Equal(BootTrace.EpochUnixNanos + SyntheticBoot.BringUpNs(ap) + 20_500, cpu.Start);
            var children = spans.Where(s => s.Parent == cpu.Id).OrderBy(s => s.Start).ToList();
            Assert.Equal(["trampoline_start", "secondary_startup_64", "cpu_idle"], children.Select(c => c.Name));
            Assert.True(children[0].End <= children[1].Start && children[1].End <= children[2].Start);
            Assert.Equal(cpu.End, children[2].End);
            var modes = children[0].Events.Select(e => e.GetProperty("name").GetString()).ToList();
            Assert.Equal(["mode.change", "mode.change"], modes);

            // Final attributes: distinct per CPU, equal to what the CPU loaded.
            Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Gdt(ap)), cpu.Attr("gdt.base"));
            Assert.Equal("0x7f", cpu.Attr("gdt.limit"));
            Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Gs(ap)), cpu.Attr("gs.base"));
            Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Tss(ap)), cpu.Attr("tss.base"));
            for (var i = 1; i <= 7; i++)
            {
                Assert.Equal(TraceAttribute.Hex(SyntheticBoot.Ist(ap, i)), cpu.Attr($"ist.{i}"));
            }
        }

        var gdtBases = spans.Where(s => s.Name.StartsWith("CPU", StringComparison.Ordinal)).Select(s => s.Attr("gdt.base")).ToList();
        Assert.Equal(4, gdtBases.Distinct().Count());
    }

    [Fact]
    public void INIT_and_SIPI_link_the_BSPs_wakeup_to_the_APs_span_and_back()
    {
        var (_, spans) = Parse(SyntheticBoot.Record());
        var wakeups = spans.Where(s => s.Name == "wakeup_secondary_cpu_via_init").ToList();

        for (var ap = 1; ap < SyntheticBoot.Cpus; ap++)
        {
            var cpu = spans.Single(s => s.Name == $"CPU{ap} (AP)");
            var wakeup = wakeups[ap - 1];
            var forward = wakeup.Links.ToList();
            Assert.Equal(2, forward.Count);
            Assert.All(forward, l => Assert.Equal(cpu.Id, l.GetProperty("spanId").GetString()));
            Assert.Equal(["INIT", "SIPI"], forward.Select(l => Value(l, "ipi.mode")));
            Assert.Equal(["0x0", "0x9a"], forward.Select(l => Value(l, "ipi.vector")));

            var back = cpu.Links.Where(l => Value(l, "ipi.mode") is "INIT" or "SIPI").ToList();
            Assert.Equal(2, back.Count);
            Assert.All(back, l => Assert.Equal(wakeup.Id, l.GetProperty("spanId").GetString()));
            Assert.All(back, l => Assert.Equal("from-sender", Value(l, "link.direction")));

            var events = cpu.Events.Select(e => e.GetProperty("name").GetString()).ToList();
            Assert.Equal(["ipi.received", "init.accepted", "ipi.received", "sipi.accepted"], events);
            var sipi = cpu.Events.Single(e => e.GetProperty("name").GetString() == "sipi.accepted");
            Assert.Equal(BootTrace.EpochUnixNanos + SyntheticBoot.BringUpNs(ap) + 10_020_500, long.Parse(sipi.GetProperty("timeUnixNano").GetString()!));
            Assert.Equal("0x9a000", Value(sipi, "sipi.start"));
        }
    }

    [Fact]
    public void Two_identical_recordings_give_byte_identical_files_and_another_seed_other_ids()
    {
        var a = OtlpJsonExporter.ToUtf8(SyntheticBoot.Record(seed: 7));
        var b = OtlpJsonExporter.ToUtf8(SyntheticBoot.Record(seed: 7));
        Assert.Equal(a, b);

        var other = SyntheticBoot.Record(seed: 8);
        var c = OtlpJsonExporter.ToUtf8(other);
        Assert.NotEqual(a, c);
        var (_, spansA) = Parse(SyntheticBoot.Record(seed: 7));
        var (_, spansC) = Parse(other);
        Assert.Equal(spansA.Select(s => s.Name), spansC.Select(s => s.Name));
        Assert.Equal(spansA.Select(s => s.Start), spansC.Select(s => s.Start));
        Assert.Empty(spansA.Select(s => s.Id).Intersect(spansC.Select(s => s.Id)));
        Assert.NotEqual(SyntheticBoot.Record(seed: 7).TraceIdHex, other.TraceIdHex);
    }

    [Fact]
    public void WriteFile_writes_the_same_bytes()
    {
        var trace = SyntheticBoot.Record();
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"smp-otlp-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        try
        {
            OtlpJsonExporter.WriteFile(trace, path);
            Assert.Equal(OtlpJsonExporter.ToUtf8(trace), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static string? Value(JsonElement withAttributes, string key) =>
        withAttributes.GetProperty("attributes").EnumerateArray()
            .Where(a => a.GetProperty("key").GetString() == key)
            .Select(a => a.GetProperty("value").EnumerateObject().First().Value.ToString())
            .SingleOrDefault();
}
