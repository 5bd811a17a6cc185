using Smp.Host.Commands;
using Smp.Host.Running;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Running;

public sealed class Com1SinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-com1-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Bytes_wait_in_the_buffer_until_a_flush_then_arrive_one_char_per_byte()
    {
        var output = new StringWriter();
        using var sink = new Com1Sink(output);

        for (int b = 0; b < 256; b++) sink.Write((byte)b);
        Assert.Empty(output.ToString()); // one write per byte made a 100 MB flood take minutes
        sink.Flush();

        Assert.Equal(256, output.ToString().Length);
        for (int b = 0; b < 256; b++) Assert.Equal((char)b, output.ToString()[b]);
    }

    [Fact]
    public void A_flood_larger_than_the_buffer_arrives_whole_and_in_order()
    {
        var output = new StringWriter();
        var expected = new char[1_000_003];
        using (var sink = new Com1Sink(output))
        {
            for (int i = 0; i < expected.Length; i++)
            {
                byte b = (byte)(i * 7 + (i >> 16));
                expected[i] = (char)b;
                sink.Write(b);
            }
        }

        Assert.Equal(new string(expected), output.ToString());
    }

    [Fact]
    public void A_guest_flood_reaches_stdout_byte_for_byte()
    {
        const int Lines = 16_384; // 1 MiB
        var result = Cli.Run("run", "--disk", new BootSectors(_dir).Flood(Lines));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(string.Empty, result.Err);
        Assert.Equal(BootSectors.FloodText(Lines), result.Out);
    }

    [Fact]
    public void The_guest_output_comes_before_the_reports_about_the_run()
    {
        var both = new StringWriter { NewLine = "\n" };
        var image = new BootSectors(_dir).PrintThenSpin("no newline yet");

        var code = SmpCli.Run(["run", "--disk", image, "--max-instructions", "5000", "--trace", "/dev/full"], both, both);

        Assert.Equal(ExitCodes.BudgetExhausted, code);
        var text = both.ToString();
        Assert.StartsWith("no newline yet", text);
        Assert.True(text.IndexOf("--trace could not write", StringComparison.Ordinal) > text.IndexOf("no newline yet", StringComparison.Ordinal));
    }

    [Fact]
    public void Output_written_before_an_internal_error_is_not_lost()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext(stdout, stderr);

        var code = context.Guard("smp test", () =>
        {
            using var sink = new Com1Sink(stdout, stderr);
            foreach (char c in "last words") sink.Write((byte)c);
            throw new InvalidOperationException("simulator bug");
        });

        Assert.Equal(ExitCodes.InternalError, code);
        Assert.Equal("last words", stdout.ToString());
    }

    /// <summary>
    /// The real process: a guest that prints a prompt without a newline and then computes forever. The prompt must reach
    /// the pipe while the simulation runs (the idle flush), and SIGTERM must end the process without losing it.
    /// </summary>
    [Fact]
    public void A_prompt_without_newline_reaches_a_pipe_while_the_guest_runs_and_sigterm_loses_nothing()
    {
        var image = new BootSectors(_dir).PrintThenSpin("login: ");
        using var process = Cli.StartShell($"exec {Cli.ShellCommand} run --disk {Cli.Quote(image)}");
        var received = new char[7];
        int read = 0;
        bool arrived;
        try
        {
            var reading = Task.Run(() =>
            {
                while (read < received.Length)
                {
                    int n = process.StandardOutput.Read(received, read, received.Length - read);
                    if (n == 0) break;
                    read += n;
                }
            });
            arrived = reading.Wait(TimeSpan.FromMinutes(2));
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "smp did not end on SIGTERM");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        Assert.True(arrived, "the prompt never reached stdout while the guest ran");
        Assert.Equal("login: ", new string(received, 0, read));
        Assert.DoesNotContain("Exception", process.StandardError.ReadToEnd());
    }
}
