using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests;

public sealed class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CliResult Smp(params string[] args) => Cli.Run(args);

    private string Image(Action<Assembler> build) => new BootSectors(_dir).Write(build);

    private string Hello() => new BootSectors(_dir).Hello();

    [Fact]
    public void Stdout_carries_exactly_the_com1_bytes_and_debug_exit_sets_the_exit_code()
    {
        string image = Hello();
        byte[] before = File.ReadAllBytes(image);
        var (code, stdout, stderr) = Smp("run", "--disk", image);
        Assert.Equal((0x21 << 1) | 1, code);
        Assert.Equal("hello\n", stdout);
        Assert.Equal(string.Empty, stderr);
        Assert.Equal(before, File.ReadAllBytes(image));
    }

    [Fact]
    public void Several_cpus_boot_the_same_image()
    {
        var (code, stdout, _) = Smp("run", "--disk", Hello(), "--cpus", "4", "--memory", "16", "--seed", "7");
        Assert.Equal(0x43, code);
        Assert.Equal("hello\n", stdout);
    }

    [Fact]
    public void Triple_fault_prints_a_one_paragraph_report_and_the_shutdown_code()
    {
        string image = Image(a =>
        {
            a.lidt(__[0x7D00]); // limit 0
            a.int3();
        });
        var (code, stdout, stderr) = Smp("run", "--disk", image);
        Assert.Equal(ExitCodes.GuestShutdown, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("CPU0", stderr);
        Assert.Contains("triple fault", stderr);
        Assert.Contains("Real", stderr);
    }

    [Fact]
    public void Budget_exhaustion_reports_where_each_cpu_is()
    {
        string image = Image(a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.jmp(loop);
        });
        var (code, _, stderr) = Smp("run", "--disk", image, "--cpus", "2", "--max-instructions", "5000");
        Assert.Equal(ExitCodes.BudgetExhausted, code);
        Assert.Contains("budget", stderr);
        Assert.Contains("CPU0 (APIC 0) Running Real 0000:", stderr);
        Assert.Contains("CPU1 (APIC 1) WaitForSipi", stderr);
    }

    [Fact]
    public void A_missing_image_is_one_sentence_and_a_usage_error()
    {
        string missing = Path.Combine(_dir, "none.img");
        var (code, stdout, stderr) = Smp("run", "--disk", missing);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal($"smp run: --disk '{missing}' does not exist.\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_short_image_is_rejected()
    {
        string path = Path.Combine(_dir, "short.img");
        File.WriteAllBytes(path, new byte[100]);
        var (code, _, stderr) = Smp("run", "--disk", path);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("shorter than one 512-byte sector", stderr);
    }

    [Fact]
    public void An_image_without_the_boot_signature_is_rejected()
    {
        string path = Path.Combine(_dir, "nosig.img");
        File.WriteAllBytes(path, new byte[512]);
        var (code, _, stderr) = Smp("run", "--disk", path);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no boot signature", stderr);
    }

    [Theory]
    [InlineData("--cpus", "0")]
    [InlineData("--cpus", "256")]
    [InlineData("--memory", "1")]
    [InlineData("--memory", "65537")]
    [InlineData("--max-instructions", "0")]
    [InlineData("--max-instructions", "-5")]
    public void Bad_machine_options_are_usage_errors(string option, string value)
    {
        var (code, _, stderr) = Smp("run", "--disk", Hello(), option, value);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
