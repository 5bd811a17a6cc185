using System.Diagnostics;
using System.Text.RegularExpressions;
using Smp.Host.Telemetry;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Telemetry;

public sealed partial class TimelineTests(ITestOutputHelper output)
{
    [Fact]
    public void The_page_is_self_contained_and_embeds_the_trace()
    {
        var html = HtmlTimelineExporter.ToHtml(SyntheticBoot.Record());

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("{{", html);
        Assert.DoesNotMatch(@"(src|href)\s*=\s*[""']?(https?:)?//", html);
        Assert.DoesNotContain("<link", html);
        Assert.Contains("smp boot timeline: 4 CPUs, built-in, seed 42", html);
        Assert.Contains("\"name\":\"wakeup_secondary_cpu_via_init\"", html);
        Assert.Equal(HtmlTimelineExporter.ToHtml(SyntheticBoot.Record()), html);
    }

    [Fact]
    public void A_hostile_symbol_name_cannot_close_the_data_script()
    {
        var trace = new BootTrace(new TraceMachine(1, 64, "</script><b>x", 1));
        trace.FunctionEntered(0, "</script><script>alert(1)</script>", 10, 0x1000);
        trace.End(100, TimeSpan.Zero);

        var html = HtmlTimelineExporter.ToHtml(trace);

        Assert.Equal(2, Regex.Matches(html, "</script>").Count);
        Assert.Contains("&lt;/script&gt;&lt;b&gt;x", html);
    }

    [Fact]
    public void The_timeline_opens_in_headless_Chromium_without_errors_and_draws_one_lane_per_CPU()
    {
        var chromium = FindChromium();
        if (chromium is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") is null,
                "CI is set but chromium is not installed: .ci/run installs the Debian package 'chromium'.");
            output.WriteLine("chromium is not installed; skipping the browser check (install the Debian package 'chromium').");
            return;
        }

        var directory = Directory.CreateTempSubdirectory("smp-timeline-");
        try
        {
            var trace = SyntheticBoot.Record(detail: TraceDetail.All);
            var page = Path.Combine(directory.FullName, "timeline.html");
            HtmlTimelineExporter.WriteFile(trace, page);

            var dom = RunChromium(chromium, directory.FullName, "--dump-dom", new Uri(page).AbsoluteUri);

            var body = BodyTag().Match(dom);
            Assert.True(body.Success, "no <body> in the dumped DOM");
            Assert.DoesNotContain("data-error", body.Value);
            Assert.Contains("data-ready=\"1\"", body.Value);
            Assert.Equal(["cpu0", "cpu1", "cpu2", "cpu3"], LaneAttribute().Matches(dom).Select(m => m.Groups[1].Value));
            var functionSpans = trace.Spans.Count(s => s.Kind == TraceSpanKind.Function);
            Assert.Equal(functionSpans, SpanBar().Matches(dom).Count);
            Assert.Equal(trace.Ipis.Count, IpiArrow().Matches(dom).Count);
            Assert.Contains(">CPU3 (AP)<", dom);
            Assert.Contains(" ms<", dom); // the time axis is labelled in milliseconds for a 40 ms run

            // Hover, click, wheel, double-click and the zoom buttons, driven by the page's #selftest.
            var driven = RunChromium(chromium, directory.FullName, "--dump-dom", new Uri(page).AbsoluteUri + "#selftest");
            var drivenBody = BodyTag().Match(driven).Value;
            Assert.DoesNotContain("data-error", drivenBody);
            Assert.Contains($"data-selftest=\"{trace.Spans.First(s => s.Kind == TraceSpanKind.Function).Name}\"", drivenBody);
            Assert.Contains("<td>duration</td>", driven);

            var screenshot = Path.Combine(Path.GetTempPath(), "timeline.png");
            File.Delete(screenshot);
            RunChromium(chromium, directory.FullName, $"--screenshot={screenshot}", "--window-size=1400,700", new Uri(page).AbsoluteUri);
            Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is missing or empty");
            File.Copy(page, Path.Combine(Path.GetTempPath(), "timeline.html"), overwrite: true);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    internal static string? FindChromium()
    {
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    internal static string RunChromium(string chromium, string workDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDirectory,
        };
        foreach (var argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={Path.Combine(workDirectory, "profile")}",
                 }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 90 s");
        }

        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    [GeneratedRegex("<body[^>]*>")]
    internal static partial Regex BodyTag();

    [GeneratedRegex("data-lane=\"(cpu[0-9]+)\"")]
    internal static partial Regex LaneAttribute();

    [GeneratedRegex("<g class=\"bar[^\"]*\" data-k=\"s[0-9]+\"")]
    internal static partial Regex SpanBar();

    [GeneratedRegex("class=\"ipi\" data-k=\"i[0-9]+\"")]
    internal static partial Regex IpiArrow();
}
