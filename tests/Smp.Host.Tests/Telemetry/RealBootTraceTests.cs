using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Smp.Host.Commands;
using Smp.Host.Guest;
using Smp.Host.Running;
using Smp.Host.Telemetry;
using Xunit.Abstractions;
using TraceOptions = Smp.Host.Telemetry.TraceOptions;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Tests.Telemetry;

/// <summary>One real 4-CPU boot of the built-in kernel with tracing on, shared by the tests of the class.</summary>
public sealed class RealBootFixture : IDisposable
{
    public RealBootFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("smp-realboot-");
        TracePath = Path.Combine(Directory.FullName, "boot.json");
        Kernel = KernelImage.Build();
        Result = RealBootTraceTests.Boot(Kernel, seed: 7, new TraceOptions(OtlpJsonPath: TracePath));
        Trace = Result.Trace!;
        var exporter = new InMemoryActivityExporter();
        Assert.True(OtlpLiveExporter.ExportTo(Trace, exporter));
        Activities = exporter.Exported;
        BySpanId = Activities.ToDictionary(a => a.SpanId);
    }

    public DirectoryInfo Directory { get; }

    public string TracePath { get; }

    public KernelImage Kernel { get; }

    internal GuestSessionResult Result { get; }

    public BootTrace Trace { get; }

    public IReadOnlyList<Activity> Activities { get; }

    public Dictionary<ActivitySpanId, Activity> BySpanId { get; }

    public void Dispose() => Directory.Delete(recursive: true);
}

/// <summary>
/// The trace of a real boot (the built-in kernel on the simulated machine, not a synthetic recording):
/// the BSP's and APs' function spans, INIT/SIPI with links, the final per-CPU attributes against guest
/// memory, byte-identical exports, and the timeline in a browser.
/// </summary>
public sealed class RealBootTraceTests(RealBootFixture boot, ITestOutputHelper output) : IClassFixture<RealBootFixture>
{
    private const int Cpus = 4;

    internal static GuestSessionResult Boot(KernelImage kernel, ulong seed, TraceOptions trace)
    {
        var options = new GuestSessionOptions(Cpus, 128, seed, DiskImageSource.FromBytes(kernel.Disk), "built-in kernel",
            kernel.Symbols.Select(s => new KeyValuePair<string, ulong>(s.Name, s.Address)).ToArray(), trace,
            MaxSimulatedTime: 30_000_000_000);
        var result = GuestSession.Run(options, _ => { }, TextWriter.Null);
        Assert.Equal(Smp.Devices.Platform.Actors.StopReason.AllIdle, result.Machine.Reason);
        return result;
    }

    private Activity Cpu(int cpu) => boot.Activities.Single(a => a.GetTagItem("cpu.index") is long i && i == cpu && a.ParentSpanId != default
        && boot.BySpanId[a.ParentSpanId].DisplayName == "machine");

    private IEnumerable<Activity> Ancestors(Activity a)
    {
        while (a.ParentSpanId != default && boot.BySpanId.TryGetValue(a.ParentSpanId, out var parent))
        {
            yield return parent;
            a = parent;
        }
    }

    private IEnumerable<Activity> Descendants(Activity root, string name) =>
        boot.Activities.Where(a => a.DisplayName == name && Ancestors(a).Contains(root));

    // Activities hold 100 ns ticks; the AP's whole real-mode path takes less, so times are compared in the
    // trace's own simulated nanoseconds (what the OTLP-JSON file carries).
    private TraceSpan Ns(Activity a) => boot.Trace.Spans.Single(s => s.SpanIdHex == a.SpanId.ToHexString());

    private void AssertWithin(Activity outer, Activity inner)
    {
        var (o, i) = (Ns(outer), Ns(inner));
        Assert.True(!i.IsOpen && i.StartNs >= o.StartNs && i.EndNs <= o.EndNs,
            $"{inner.DisplayName} [{i.StartNs}, {i.EndNs}] is not within {outer.DisplayName} [{o.StartNs}, {o.EndNs}]");
    }

    private Activity Only(Activity root, string name) => Assert.Single(Descendants(root, name));

    [Fact]
    public void The_BSP_nests_start_kernel_rest_init_kernel_init_smp_init_and_one_do_boot_cpu_per_AP()
    {
        var bsp = Cpu(0);
        Assert.Equal("CPU0 (BSP)", bsp.DisplayName);
        var startKernel = Only(bsp, "start_kernel");
        var restInit = Only(startKernel, "rest_init");
        var kernelInit = Only(restInit, "kernel_init");
        var smpInit = Only(kernelInit, "smp_init");
        AssertWithin(bsp, startKernel);
        AssertWithin(startKernel, restInit);
        AssertWithin(restInit, kernelInit);
        AssertWithin(kernelInit, smpInit);

        var doBoot = Descendants(smpInit, "do_boot_cpu").OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(Cpus - 1, doBoot.Count);
        for (int i = 0; i < doBoot.Count; i++)
        {
            AssertWithin(smpInit, doBoot[i]);
            var wakeup = Only(doBoot[i], "wakeup_secondary_cpu_via_init");
            AssertWithin(doBoot[i], wakeup);
            // Each wakeup sends INIT and SIPIs to its own AP, in AP order.
            var sent = wakeup.Events.Where(e => e.Name == "ipi.sent").ToList();
            Assert.Contains(sent, e => (string?)e.Tags.First(t => t.Key == "ipi.mode").Value == "INIT");
            Assert.Contains(sent, e => (string?)e.Tags.First(t => t.Key == "ipi.mode").Value == "SIPI");
            Assert.All(sent, e => Assert.Equal((long)(i + 1), e.Tags.First(t => t.Key == "ipi.destination_cpu").Value));
            if (i > 0) Assert.True(Ns(doBoot[i]).StartNs >= Ns(doBoot[i - 1]).EndNs, "do_boot_cpu calls overlap");
        }

        // Every function span closed: none outlives its CPU span, and the trace saw no stray returns.
        foreach (var a in boot.Activities.Where(a => a.GetTagItem("code.function") is not null))
            AssertWithin(Ancestors(a).Last(x => x.DisplayName != "machine"), a);
        Assert.Equal(0, boot.Trace.UnmatchedReturns);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Each_AP_runs_trampoline_start_in_real_mode_then_secondary_startup_64_then_cpu_idle(int cpu)
    {
        // The watch is on the trampoline's run-time copy (0x8000, the SIPI page), not its place in the image.
        Assert.Equal(KernelLayout.Trampoline, boot.Kernel.Symbols.Single(s => s.Name == "trampoline_start").Address);

        var ap = Cpu(cpu);
        Assert.Equal($"CPU{cpu} (AP)", ap.DisplayName);
        Assert.Equal("AP", ap.GetTagItem("cpu.role"));
        Assert.Equal("INIT", ap.GetTagItem("cpu.start_reason"));
        Assert.Equal("0x8000", ap.GetTagItem("sipi.start"));
        var trampoline = Only(ap, "trampoline_start");
        var secondary = Only(ap, "secondary_startup_64");
        var idle = Only(ap, "cpu_idle");
        Assert.Equal("Real", trampoline.GetTagItem("cpu.mode"));
        Assert.Equal("Long64", secondary.GetTagItem("cpu.mode"));
        Assert.True(Ns(trampoline).StartNs < Ns(secondary).StartNs && Ns(secondary).StartNs < Ns(idle).StartNs);
        Assert.Contains(ap, Ancestors(idle));
        // secondary_startup_64 never returns: it hands over to start_secondary (lretq), so its span ends
        // where the next stage begins, before cpu_idle (a tail transfer, not a nesting).
        Assert.True(Ns(secondary).EndNs <= Ns(idle).StartNs);
        Assert.Contains(ap, Ancestors(secondary));

        // The mode-change events: the AP leaves real mode after entering trampoline_start and reaches long mode
        // before secondary_startup_64.
        var modes = boot.Trace.Spans.Where(s => s.Cpu == cpu).SelectMany(s => s.Events).Where(e => e.Name == "mode.change").OrderBy(e => e.TimeNs).ToList();
        string? Tag(TraceEvent e, string key) => e.Attributes.First(a => a.Key == key).Value as string;
        var fromReal = modes.First(e => Tag(e, "mode.from") == "Real");
        var toLong = modes.First(e => Tag(e, "mode.to") == "Long64");
        Assert.InRange(fromReal.TimeNs, Ns(trampoline).StartNs, Ns(secondary).StartNs);
        Assert.InRange(toLong.TimeNs, fromReal.TimeNs, Ns(secondary).StartNs);
        Assert.Equal("cpu_idle", boot.Result.Trackers[cpu].LastPhase);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void INIT_and_SIPI_appear_on_the_AP_with_links_to_the_BSPs_wakeup_secondary_cpu_via_init(int cpu)
    {
        var ap = Cpu(cpu);
        var apSpans = boot.Activities.Where(a => a == ap || Ancestors(a).Contains(ap)).ToList();
        var events = apSpans.SelectMany(a => a.Events).ToList();
        string? Mode(ActivityEvent e) => (string?)e.Tags.FirstOrDefault(t => t.Key == "ipi.mode").Value;
        var init = Assert.Single(events, e => e.Name == "ipi.received" && Mode(e) == "INIT");
        Assert.Contains(events, e => e.Name == "ipi.received" && Mode(e) == "SIPI");
        var initAccepted = Assert.Single(events, e => e.Name == "init.accepted");
        var sipiAccepted = Assert.Single(events, e => e.Name == "sipi.accepted");
        Assert.Equal("0x8", sipiAccepted.Tags.First(t => t.Key == "sipi.vector").Value);
        Assert.True(init.Timestamp <= initAccepted.Timestamp && initAccepted.Timestamp <= sipiAccepted.Timestamp);
        Assert.True(sipiAccepted.Timestamp <= Only(ap, "trampoline_start").StartTimeUtc);

        // The AP's span links to the wakeup that sent them: on the BSP, inside the do_boot_cpu for this AP.
        var bsp = Cpu(0);
        var wakeups = Descendants(bsp, "wakeup_secondary_cpu_via_init").OrderBy(a => a.StartTimeUtc).ToList();
        var mine = wakeups[cpu - 1];
        foreach (var mode in new[] { "INIT", "SIPI" })
        {
            var link = Assert.Single(ap.Links, l => (string?)l.Tags!.First(t => t.Key == "ipi.mode").Value == mode);
            Assert.Equal(mine.SpanId, link.Context.SpanId);
            Assert.Equal(boot.Activities[0].TraceId, link.Context.TraceId);
            Assert.Equal("from-sender", link.Tags!.First(t => t.Key == "link.direction").Value);
            // And back: the wakeup links to the AP.
            Assert.Contains(mine.Links, l => l.Context.SpanId == ap.SpanId && (string?)l.Tags!.First(t => t.Key == "ipi.mode").Value == mode);
        }

        var ipi = boot.Trace.Ipis.Single(p => p.ToCpu == cpu && p.Mode == "INIT");
        Assert.InRange(ipi.SentNs, Ns(mine).StartNs, Ns(mine).EndNs);
    }

    [Fact]
    public void Each_CPUs_GDT_gs_base_and_IST_attributes_equal_guest_memory_and_are_distinct()
    {
        var seen = new Dictionary<string, HashSet<string>>();
        for (int cpu = 0; cpu < Cpus; cpu++)
        {
            var span = Cpu(cpu);
            var readback = boot.Result.Cpus[cpu];
            string Attr(string key) => Assert.IsType<string>(span.GetTagItem(key));
            void Check(string key, ulong fromMachine, ulong fromLayout)
            {
                Assert.Equal(fromLayout, fromMachine);
                Assert.Equal(TraceAttribute.Hex(fromMachine), Attr(key));
                Assert.True((seen.TryGetValue(key, out var set) ? set : seen[key] = []).Add(Attr(key)), $"{key} of CPU{cpu} repeats another CPU's");
            }

            Check("gdt.base", readback.GdtBase, KernelLayout.GdtPage(cpu));
            Check("gs.base", readback.GsBase, KernelLayout.PerCpuArea(cpu));
            Check("tss.base", readback.TssBase, KernelLayout.TssOf(cpu));
            for (int ist = 1; ist <= 4; ist++)
                Check($"ist.{ist}", readback.Ist[ist - 1], KernelLayout.IstTop(cpu, ist)); // read from the TSS in guest memory
            for (int ist = 5; ist <= 7; ist++)
                Assert.Equal("0x0", Attr($"ist.{ist}"));
            Assert.Equal(TraceAttribute.Hex(readback.GdtLimit), Attr("gdt.limit"));

            // The LTR event carried the same ISTs, read from the TSS when it was loaded.
            var ltr = boot.Activities.Where(a => a == span || Ancestors(a).Contains(span)).SelectMany(a => a.Events).Single(e => e.Name == "ltr");
            Assert.Equal(Attr("ist.2"), ltr.Tags.First(t => t.Key == "ist.2").Value);
        }
    }

    [Fact]
    public void Two_runs_with_the_same_seed_write_byte_identical_trace_files_and_another_seed_other_ids()
    {
        var again = Path.Combine(boot.Directory.FullName, "again.json");
        var other = Path.Combine(boot.Directory.FullName, "other.json");
        Boot(boot.Kernel, seed: 7, new TraceOptions(OtlpJsonPath: again));
        Boot(boot.Kernel, seed: 8, new TraceOptions(OtlpJsonPath: other));

        var first = File.ReadAllBytes(boot.TracePath);
        Assert.True(first.Length > 10_000);
        Assert.Equal(first, File.ReadAllBytes(again));

        static HashSet<string> Ids(string path, string field)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans").EnumerateArray()
                .Select(s => s.GetProperty(field).GetString()!).ToHashSet();
        }

        Assert.Single(Ids(boot.TracePath, "traceId"));
        Assert.NotEqual(Ids(boot.TracePath, "traceId").Single(), Ids(other, "traceId").Single());
        Assert.Empty(Ids(boot.TracePath, "spanId").Intersect(Ids(other, "spanId")));
    }

    [Fact]
    public void Smp_run_traces_a_disk_with_a_System_map()
    {
        var disk = Path.Combine(boot.Directory.FullName, "kernel.img");
        var map = Path.Combine(boot.Directory.FullName, "System.map");
        var trace = Path.Combine(boot.Directory.FullName, "run.json");
        File.WriteAllBytes(disk, boot.Kernel.Disk);
        File.WriteAllLines(map, boot.Kernel.Symbols.Select(s => $"{s.Address:x16} T {s.Name}"));

        var code = SmpCli.Run(["run", "--disk", disk, "--cpus", "2", "--symbols", map, "--trace", trace], new StringWriter(), new StringWriter());

        Assert.Equal(ExitCodes.MachineIdle, code);
        var text = File.ReadAllText(trace);
        foreach (var name in new[] { "\"CPU1 (AP)\"", "\"trampoline_start\"", "\"smp_init\"", "\"cpu_idle\"" })
            Assert.Contains(name, text);

        File.WriteAllText(map, "not a map\n");
        var err = new StringWriter();
        Assert.Equal(ExitCodes.Usage, SmpCli.Run(["run", "--disk", disk, "--symbols", map, "--trace", trace], new StringWriter(), err));
        Assert.Contains("line 1 is not a System.map line", err.ToString());
    }

    [Fact]
    public void The_real_boot_timeline_opens_in_headless_Chromium_with_one_lane_per_CPU()
    {
        var chromium = TimelineTests.FindChromium();
        if (chromium is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, "CI is set but chromium is not installed.");
            output.WriteLine("chromium is not installed; skipping the browser check.");
            return;
        }

        var page = Path.Combine(boot.Directory.FullName, "timeline.html");
        HtmlTimelineExporter.WriteFile(boot.Trace, page);
        var dom = TimelineTests.RunChromium(chromium, boot.Directory.FullName, "--dump-dom", new Uri(page).AbsoluteUri);

        var body = TimelineTests.BodyTag().Match(dom);
        Assert.True(body.Success, "no <body> in the dumped DOM");
        Assert.DoesNotContain("data-error", body.Value);
        Assert.Contains("data-ready=\"1\"", body.Value);
        Assert.Equal(["cpu0", "cpu1", "cpu2", "cpu3"], TimelineTests.LaneAttribute().Matches(dom).Select(m => m.Groups[1].Value));
        Assert.Equal(boot.Trace.Spans.Count(s => s.Kind == TraceSpanKind.Function), TimelineTests.SpanBar().Matches(dom).Count);
        Assert.Equal(boot.Trace.Ipis.Count, TimelineTests.IpiArrow().Matches(dom).Count);
        // The ~10 ms calibration (nothing starts, ends or happens) is folded so the µs-long AP bring-ups stay readable.
        var fold = Assert.Single(System.Text.RegularExpressions.Regex.Matches(dom, "class=\"fold\" data-fold=\"([0-9]+)\""));
        Assert.InRange(long.Parse(fold.Groups[1].Value, CultureInfo.InvariantCulture), 5_000_000, 11_000_000);
        Assert.Contains("1 idle gap folded", dom);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{boot.Trace.Spans.Count} spans, {boot.Trace.Ipis.Count} IPIs"));
    }
}
