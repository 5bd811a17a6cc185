using System.Text.Json;
using Smp.Host.Commands;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Telemetry;

public sealed class TraceCliTests
{
    private static (int ExitCode, string Out, string Err) Smp(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = SmpCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string OneLine(string err) => Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));

    [Theory]
    [InlineData("boot")]
    [InlineData("run", "--disk", "x.img")]
    public void Both_commands_document_the_trace_options(params string[] command)
    {
        var (code, stdout, _) = Smp([.. command, "--help"]);

        Assert.Equal(ExitCodes.Ok, code);
        foreach (var option in new[] { "--trace ", "--otlp", "--chrome-trace", "--timeline", "--trace-detail", "--watch" })
        {
            Assert.Contains(option, stdout);
        }
    }

    [Theory]
    [InlineData("--trace", "/nonexistent-smp-dir/boot.json", "--trace '/nonexistent-smp-dir/boot.json' is in a directory that does not exist.")]
    [InlineData("--timeline", "/tmp", "--timeline '/tmp' is a directory.")]
    [InlineData("--chrome-trace", "/nonexistent-smp-dir/x.json", "--chrome-trace '/nonexistent-smp-dir/x.json' is in a directory that does not exist.")]
    public void An_unwritable_output_is_one_sentence_and_exit_2(string option, string path, string message)
    {
        foreach (var command in new[] { new[] { "boot" }, new[] { "run", "--disk", "x.img" } })
        {
            var (code, stdout, stderr) = Smp([.. command, option, path]);

            Assert.Equal(ExitCodes.Usage, code);
            Assert.Empty(stdout);
            var line = OneLine(stderr);
            Assert.Contains(message, line);
            Assert.DoesNotContain("Exception", line);
        }
    }

    [Theory]
    [InlineData("--otlp", "localhost:4318", "--otlp expects an absolute http:// or https:// URL, not 'localhost:4318'.")]
    [InlineData("--otlp", "ftp://collector", "--otlp expects an absolute http:// or https:// URL, not 'ftp://collector'.")]
    [InlineData("--trace-detail", "verbose", "--trace-detail expects phases, events or all, not 'verbose'.")]
    public void A_malformed_value_is_one_sentence_and_exit_2(string option, string value, string message)
    {
        var (code, _, stderr) = Smp("boot", option, value);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, OneLine(stderr));
    }

    [Fact]
    public void Valid_trace_options_pass_validation_and_the_command_reports_its_own_error()
    {
        var directory = Directory.CreateTempSubdirectory("smp-cli-");
        try
        {
            var file = Path.Combine(directory.FullName, "boot.json");
            var missing = Path.Combine(directory.FullName, "missing.img");
            var (code, _, stderr) = Smp("run", "--disk", missing, "--trace", file, "--otlp", "http://127.0.0.1:4318", "--trace-detail", "ALL", "--watch", "my_func", "--watch", "other");

            Assert.Equal(ExitCodes.Usage, code);
            Assert.Contains("missing.img", stderr);
            Assert.DoesNotContain("--trace", stderr);
            Assert.False(File.Exists(file), "a run that never started writes no trace");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_options_parse_into_TraceOptions()
    {
        var command = new System.CommandLine.Command("boot");
        var options = TraceCliOptions.AddTo(command);
        var result = command.Parse(["--trace", "t.json", "--otlp", "http://c:4318", "--timeline", "t.html", "--trace-detail", "phases", "--watch", "a", "--watch", "b"]);
        Assert.Empty(result.Errors);

        var trace = options.Read(result);

        Assert.Equal(Path.GetFullPath("t.json"), trace.OtlpJsonPath);
        Assert.Equal(Path.GetFullPath("t.html"), trace.TimelinePath);
        Assert.Null(trace.ChromeTracePath);
        Assert.Equal(new Uri("http://c:4318/v1/traces"), trace.TracesEndpoint);
        Assert.Equal(TraceDetail.Phases, trace.Detail);
        Assert.Equal(["a", "b"], trace.Watch!);
        Assert.True(trace.Enabled);
        Assert.True(trace.WatchList().Contains("b"));
        Assert.True(trace.WatchList().Contains("start_kernel"));

        var none = options.Read(command.Parse([]));
        Assert.False(none.Enabled);
        Assert.Equal(TraceDetail.Events, none.Detail);
        Assert.Null(none.CreateTrace(new TraceMachine(1, 64, "x", 0)));
    }

    [Fact]
    public void The_default_watch_list_is_the_boot_path_of_the_issue()
    {
        var watch = new SymbolWatchList(["my_probe", "start_kernel", " "]);

        foreach (var name in new[] { "start_of_setup", "start_kernel", "rest_init", "kernel_init", "smp_init", "do_boot_cpu", "wakeup_secondary_cpu_via_init",
                     "trampoline_start", "secondary_startup_64", "start_secondary", "cpu_init", "cpu_idle", "asm_exc_nmi", "asm_exc_debug", "asm_exc_double_fault", "my_probe" })
        {
            Assert.True(watch.Contains(name), name);
        }

        Assert.False(watch.Contains("Start_Kernel"));
        Assert.Equal(watch.Names.Count, watch.Names.Distinct().Count());
        Assert.Equal("my_probe", watch.Names[^1]);
        var resolved = watch.Resolve([new("start_kernel", 0xffffffff83000000UL), new("printk", 0xffffffff81000000UL), new("my_probe", 0x1000UL)]);
        Assert.Equal(new Dictionary<ulong, string> { [0xffffffff83000000UL] = "start_kernel", [0x1000UL] = "my_probe" }, resolved);
    }

    [Fact]
    public void The_sink_writes_every_requested_file()
    {
        var directory = Directory.CreateTempSubdirectory("smp-sink-");
        try
        {
            var options = new TraceOptions(
                Path.Combine(directory.FullName, "boot.json"), null,
                Path.Combine(directory.FullName, "boot.chrome.json"),
                Path.Combine(directory.FullName, "boot.html"));
            Assert.Null(options.Validate());
            var err = new StringWriter();
            var trace = options.CreateTrace(new TraceMachine(4, 128, "built-in", 42))!;
            trace.FunctionEntered(0, "start_kernel", 100, 0x8000);

            Assert.True(new TelemetrySink(options, err).Export(trace, 5_000, TimeSpan.FromMilliseconds(3)));

            Assert.Empty(err.ToString());
            Assert.True(trace.Ended);
            using var otlp = JsonDocument.Parse(File.ReadAllBytes(options.OtlpJsonPath!));
            Assert.Equal(3, otlp.RootElement.GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans").GetArrayLength());
            using var chrome = JsonDocument.Parse(File.ReadAllBytes(options.ChromeTracePath!));
            Assert.True(chrome.RootElement.GetProperty("traceEvents").GetArrayLength() > 0);
            Assert.Contains("data-lane", File.ReadAllText(options.TimelinePath!));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
