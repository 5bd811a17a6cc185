using System.Globalization;
using System.Text;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Host.Guest.Initramfs;
using Smp.Host.Loaders;
using Smp.Host.Running;
using Smp.Host.Telemetry;
using Xunit.Abstractions;
using TraceOptions = Smp.Host.Telemetry.TraceOptions;

namespace Smp.Host.Tests.Linux;

/// <summary>
/// Debian's Linux 6.1 on the simulated 4-CPU PC with the test initramfs, traced from the kernel's own kallsyms: the
/// issue's CI test. Debian's build inlines do_boot_cpu and wakeup_secondary_cpu_via_init into native_cpu_up, so the
/// BSP's side of each AP's bring-up is the native_cpu_up span.
/// </summary>
public sealed class DebianBootTests(ITestOutputHelper output) : IDisposable
{
    private const int Cpus = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-linux-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [DebianKernelFact]
    public void Debian_brings_up_four_cpus_runs_the_test_init_and_powers_off_with_each_ap_traced()
    {
        var (vmlinuz, _) = Assert.NotNull(DebianKernel.Files);
        string initrd = Path.Combine(_dir, "initrd.cpio");
        File.WriteAllBytes(initrd, TestInitramfs.Build());
        var file = KernelFile.Read(vmlinuz, "--kernel");
        var symbols = KernelSymbols.FromBzImage(file);
        var kernel = KernelDetector.Open(file, new BootArguments("console=ttyS0 panic=-1 nokaslr", KernelModule.ReadList(initrd), new MemoryMap(512UL << 20)));
        var console = new MemoryStream();
        var options = new GuestSessionOptions(Cpus, 512, Seed: 1, Disk: null, "debian-6.1", symbols,
            new TraceOptions(OtlpJsonPath: Path.Combine(_dir, "trace.json"), Detail: TraceDetail.Phases), MaxInstructions: 40_000_000_000)
        {
            Kernel = kernel,
        };

        var result = GuestSession.Run(options, console.WriteByte, TextWriter.Null);

        string com1 = Encoding.Latin1.GetString(console.ToArray());
        output.WriteLine(com1);
        output.WriteLine(result.Machine.Report());
        Assert.Equal(StopReason.PowerOff, result.Machine.Reason);
        Assert.Contains("smp: Brought up 1 node, 4 CPUs", com1);
        Assert.Contains(TinyInit.Banner, com1);
        Assert.Contains(string.Format(CultureInfo.InvariantCulture, TinyInit.CpuLineFormat, Cpus), com1);
        Assert.Contains("reboot: Power down", com1);

        var trace = Assert.IsType<BootTrace>(result.Trace);
        var bringUps = trace.Spans.Where(s => s.Name == "native_cpu_up").ToList();
        Assert.Equal(Cpus - 1, bringUps.Count);
        Assert.All(bringUps, s => Assert.Equal(0, s.Cpu));
        var startSecondary = trace.Spans.Where(s => s.Name == "start_secondary").ToList();
        Assert.Equal([1, 2, 3], startSecondary.Select(s => s.Cpu).Order());
        // Each AP starts after the BSP began waking it.
        foreach (var ap in startSecondary) Assert.True(ap.StartNs > bringUps[ap.Cpu - 1].StartNs, $"CPU{ap.Cpu} started before its native_cpu_up");

        // Each CPU's per-CPU area (gs-base), GDT and TSS, read back from the kernel's state: one of each per CPU.
        Assert.Equal(Cpus, result.Cpus.Select(c => c.GsBase).Distinct().Count());
        Assert.All(result.Cpus, c => Assert.True(c.GsBase >= 0xFFFF_8000_0000_0000UL, $"CPU{c.Cpu} gs-base 0x{c.GsBase:x}"));
        Assert.Equal(Cpus, result.Cpus.Select(c => c.GdtBase).Distinct().Count());
        Assert.Equal(Cpus, result.Cpus.Select(c => c.TssBase).Distinct().Count());
        Assert.All(result.Cpus, c => Assert.NotEqual(0UL, c.Ist[0])); // IST1: #DF's stack in each CPU's cpu_entry_area
        Assert.All(Enumerable.Range(0, Cpus), i => Assert.NotNull(result.Trackers[i].FirstEntry("cpu_startup_entry")));

        // Linux's INIT then SIPI from the BSP to each AP (after the BIOS's own at POST), before its start_secondary; the
        // AP leaves wait-for-SIPI in real mode (the kernel's trampoline) and reaches start_secondary in 64-bit mode.
        foreach (var ap in startSecondary)
        {
            var init = trace.Ipis.Last(i => i.ToCpu == ap.Cpu && i.Mode == "INIT" && i.FromCpu == 0 && i.SentNs < ap.StartNs);
            Assert.True(init.SentNs > bringUps[ap.Cpu - 1].StartNs, $"CPU{ap.Cpu}: no INIT from native_cpu_up");
            Assert.Contains(trace.Ipis, i => i.ToCpu == ap.Cpu && i.Mode == "SIPI" && i.SentNs >= init.SentNs && i.Id > init.Id && i.SentNs < ap.StartNs);
            Assert.Equal("Long64", ap.Attribute("cpu.mode"));
        }

        AssertTimelineOpensInChromium(trace);
    }

    // The HTML timeline of this boot in headless Chromium: one lane per CPU, every INIT/SIPI arrow drawn.
    private void AssertTimelineOpensInChromium(BootTrace trace)
    {
        var chromium = Telemetry.TimelineTests.FindChromium();
        if (chromium is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, "CI is set but chromium is not installed.");
            output.WriteLine("chromium is not installed; skipping the browser check.");
            return;
        }

        var page = Path.Combine(_dir, "timeline.html");
        HtmlTimelineExporter.WriteFile(trace, page);
        var dom = Telemetry.TimelineTests.RunChromium(chromium, _dir, "--dump-dom", new Uri(page).AbsoluteUri);
        var body = Telemetry.TimelineTests.BodyTag().Match(dom);
        Assert.True(body.Success, "no <body> in the dumped DOM");
        Assert.DoesNotContain("data-error", body.Value);
        Assert.Contains("data-ready=\"1\"", body.Value);
        Assert.Equal(["cpu0", "cpu1", "cpu2", "cpu3"], Telemetry.TimelineTests.LaneAttribute().Matches(dom).Select(m => m.Groups[1].Value));
        Assert.Equal(trace.Ipis.Count(i => i.Mode is "INIT" or "SIPI"),
            System.Text.RegularExpressions.Regex.Matches(dom, "<text [^>]*>(INIT|SIPI)</text>").Count);
    }
}
