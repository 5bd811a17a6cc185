using System.Diagnostics;
using Smp.Host.Commands;
using Smp.Host.Guest;
using Smp.Host.Stress;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests;

/// <summary>Files every case of <see cref="BadInputTests"/> uses: a directory, images, a System.map, a FIFO, shard reports.</summary>
public sealed class BadInputFiles : IDisposable
{
    public BadInputFiles()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("smp-bad-input-").FullName;
        var sectors = new BootSectors(Directory);
        Hello = sectors.Hello();
        Map = Path.Combine(Directory, "hello.map");
        File.WriteAllText(Map, "0000000000007c00 T _start\n");
        DebianMap = Path.Combine(Directory, "System.map-6.1.0-57-amd64");
        File.WriteAllText(DebianMap, "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n");
        EmptyBzImage = Path.Combine(Directory, "bzImage");
        var bzImage = Loaders.SyntheticBzImage.Build(kernelBytes: 0x100);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bzImage.AsSpan(0x248), 0x10);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bzImage.AsSpan(0x24C), 0x20);
        File.WriteAllBytes(EmptyBzImage, bzImage);
        Fifo = Path.Combine(Directory, "fifo");
        using (var mkfifo = Process.Start("mkfifo", [Fifo])) mkfifo.WaitForExit();
        // A sparse file: larger than --symbols accepts, yet it costs no disk space.
        HugeMap = Path.Combine(Directory, "huge.map");
        using (var huge = File.Create(HugeMap)) huge.SetLength(RunCommand.MaxSymbolFileBytes + (1L << 20));
        CleanReport = Path.Combine(Directory, "clean.json");
        using (var stream = File.Create(CleanReport))
            StressReport.Of(new StressCampaignSpec(HandlerVariant.Linux, 2, "all", 1, 1), []).WriteJson(stream);
        FailingReport = Path.Combine(Directory, "failing.json");
        File.WriteAllText(FailingReport, File.ReadAllText(CleanReport).Replace("\"violations\": []", "\"violations\": [{ \"seed\": 1 }]", StringComparison.Ordinal));
    }

    public string Directory { get; }

    public string Hello { get; }

    public string Map { get; }

    public string Fifo { get; }

    public string DebianMap { get; }

    public string EmptyBzImage { get; }

    public string HugeMap { get; }

    public string CleanReport { get; }

    public string FailingReport { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>
/// The bad-input matrix: every way a user or a hostile input could once make <c>smp</c> end in an internal error,
/// read a device for minutes, exit 0 after losing its output, or say something untrue. Each case gets its
/// documented exit code, no stack trace, and its failure in one sentence on one line. Every case is fast by design:
/// inputs are refused from their type or size before anything reads them, and the runs are a one-sector guest.
/// </summary>
public sealed class BadInputTests(BadInputFiles files) : IClassFixture<BadInputFiles>
{
    /// <summary>Case name → arguments (in terms of the fixture's files), exit code, the failure sentence (or part of it), stderr lines.</summary>
    private (string[] Args, int Code, string Sentence, int Lines) Case(string name) => name switch
    {
        // Item 3: device files, FIFOs, directories and oversized inputs are refused from their type or size.
        "disk-dev-zero" => (["run", "--disk", "/dev/zero"], ExitCodes.Usage, "smp run: --disk '/dev/zero' is a character device, not a file.", 1),
        "symbols-dev-zero" => (["run", "--disk", files.Hello, "--symbols", "/dev/zero"], ExitCodes.Usage,
            "smp run: --symbols '/dev/zero' is a character device, not a file.", 1),
        "disk-fifo" => (["run", "--disk", files.Fifo], ExitCodes.Usage, $"smp run: --disk '{files.Fifo}' is a named pipe (FIFO), not a file.", 1),
        "disk-directory" => (["run", "--disk", files.Directory], ExitCodes.Usage, $"smp run: --disk '{files.Directory}' is a directory, not a file.", 1),
        "symbols-directory" => (["run", "--disk", files.Hello, "--symbols", files.Directory], ExitCodes.Usage,
            $"smp run: --symbols '{files.Directory}' is a directory, not a file.", 1),
        "symbols-oversized" => (["run", "--disk", files.Hello, "--symbols", files.HugeMap], ExitCodes.Usage,
            $"smp run: --symbols '{files.HugeMap}' is 257 MiB, more than the 256 MiB --symbols accepts.", 1),
        "symbols-debian-placeholder" => (["run", "--disk", files.Hello, "--symbols", files.DebianMap], ExitCodes.Usage,
            $"smp run: --symbols '{files.DebianMap}' is Debian's placeholder System.map, without symbols; pass the kernel itself (--symbols vmlinuz) to read its kallsyms.", 1),
        "symbols-bzimage-without-payload" => (["run", "--disk", files.Hello, "--symbols", files.EmptyBzImage], ExitCodes.Usage,
            $"smp run: --symbols: the bzImage '{files.EmptyBzImage}' has a payload compressed in an unknown format (first bytes 00000000).", 1),
        "merge-dev-zero" => (["stress", "--merge", "/dev/zero"], ExitCodes.Usage, "smp stress: --merge '/dev/zero' is a character device, not a file.", 1),
        "merge-directory" => (["stress", "--merge", files.Directory], ExitCodes.Usage, $"smp stress: --merge '{files.Directory}' is a directory, not a file.", 1),
        // Item 6: an output that cannot be written is refused before the run where that can be known, else exits 14.
        "trace-dev-full" => (["run", "--disk", files.Hello, "--trace", "/dev/full"], ExitCodes.ExportFailed,
            "smp run: --trace could not write '/dev/full': No space left on device.", 2),
        "chrome-trace-dev-full" => (["run", "--disk", files.Hello, "--chrome-trace", "/dev/full"], ExitCodes.ExportFailed,
            "smp run: --chrome-trace could not write '/dev/full': No space left on device.", 2),
        "timeline-dev-full" => (["run", "--disk", files.Hello, "--timeline", "/dev/full"], ExitCodes.ExportFailed,
            "smp run: --timeline could not write '/dev/full': No space left on device.", 2),
        "chrome-trace-unwritable-place" => (["run", "--disk", files.Hello, "--chrome-trace", "/proc/smp-trace.json"], ExitCodes.Usage,
            "smp run: --chrome-trace '/proc/smp-trace.json' ", 1),
        "trace-directory" => (["boot", "--trace", files.Directory], ExitCodes.Usage, $"smp boot: --trace '{files.Directory}' is a directory.", 1),
        "otlp-unreachable" => (["run", "--disk", files.Hello, "--otlp", "http://127.0.0.1:1"], ExitCodes.ExportFailed,
            "smp run: --otlp could not export the trace to http://127.0.0.1:1/v1/traces", 2),
        "report-missing-directory" => (["stress", "--seeds", "1..1000000", "--report", "/nonexistent-smp-dir/r.json"], ExitCodes.Usage,
            "smp stress: --report '/nonexistent-smp-dir/r.json' is in a directory that does not exist.", 1),
        "report-directory" => (["stress", "--report", files.Directory], ExitCodes.Usage, $"smp stress: --report '{files.Directory}' is a directory.", 1),
        "report-dev-full" => (["stress", "--merge", files.CleanReport, "--report", "/dev/full"], ExitCodes.ExportFailed,
            "smp stress: --report could not write '/dev/full': No space left on device.", 1),
        "report-dev-full-keeps-violations" => (["stress", "--merge", files.FailingReport, "--report", "/dev/full"], ExitCodes.StressViolations,
            "smp stress: --report could not write '/dev/full': No space left on device.", 1),
        // Item 8: limits as they are, and messages that say what is true.
        "boot-cpus-above-kernel-limit" => (["boot", "--cpus", "65"], ExitCodes.Usage, "--cpus expects a whole number from 1 to 64, not '65'.", 1),
        "stress-cpus-above-kernel-limit" => (["stress", "--cpus", "65"], ExitCodes.Usage, "--cpus expects a whole number from 1 to 64, not '65'.", 1),
        "run-cpus-above-machine-limit" => (["run", "--disk", files.Hello, "--cpus", "256"], ExitCodes.Usage, "--cpus expects a whole number from 1 to 255, not '256'.", 1),
        "budget-above-limit" => (["run", "--disk", files.Hello, "--max-instructions", "18446744073709551615"], ExitCodes.Usage,
            "--max-instructions expects a whole number from 1 to 9223372036854775807 (2^63 - 1), not '18446744073709551615'.", 1),
        "boot-memory-below-kernel-needs" => (["boot", "--memory", "8"], ExitCodes.Usage,
            $"--memory must be at least {BootCommand.MinimumMemoryMiB} MiB (the least the built-in kernel boots in), not 8.", 1),
        "boot-memory-two" => (["boot", "--memory", "2"], ExitCodes.Usage, $"--memory must be at least {BootCommand.MinimumMemoryMiB} MiB", 1),
        "watch-unknown-symbol" => (["run", "--disk", files.Hello, "--symbols", files.Map, "--watch", "no_such_function"], (BootSectors.HelloExit << 1) | 1,
            $"smp run: warning: --watch 'no_such_function' is not a symbol of '{files.Map}'; nothing is traced for it.", 1),
        "watch-without-symbols" => (["run", "--disk", files.Hello, "--watch", "start_kernel"], (BootSectors.HelloExit << 1) | 1,
            "smp run: warning: --watch 'start_kernel' has no effect without --symbols FILE.map (the guest's symbols).", 1),
        "image-out-directory" => (["image", "--out", files.Directory], ExitCodes.Usage, $"smp image: --out '{files.Directory}' is a directory.", 1),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
    };

    [Theory]
    [InlineData("disk-dev-zero")]
    [InlineData("symbols-dev-zero")]
    [InlineData("disk-fifo")]
    [InlineData("disk-directory")]
    [InlineData("symbols-directory")]
    [InlineData("symbols-oversized")]
    [InlineData("symbols-debian-placeholder")]
    [InlineData("symbols-bzimage-without-payload")]
    [InlineData("merge-dev-zero")]
    [InlineData("merge-directory")]
    [InlineData("trace-dev-full")]
    [InlineData("chrome-trace-dev-full")]
    [InlineData("timeline-dev-full")]
    [InlineData("chrome-trace-unwritable-place")]
    [InlineData("trace-directory")]
    [InlineData("otlp-unreachable")]
    [InlineData("report-missing-directory")]
    [InlineData("report-directory")]
    [InlineData("report-dev-full")]
    [InlineData("report-dev-full-keeps-violations")]
    [InlineData("boot-cpus-above-kernel-limit")]
    [InlineData("stress-cpus-above-kernel-limit")]
    [InlineData("run-cpus-above-machine-limit")]
    [InlineData("budget-above-limit")]
    [InlineData("boot-memory-below-kernel-needs")]
    [InlineData("boot-memory-two")]
    [InlineData("watch-unknown-symbol")]
    [InlineData("watch-without-symbols")]
    [InlineData("image-out-directory")]
    public void Bad_input_gets_its_exit_code_and_one_sentence(string name)
    {
        var (args, code, sentence, lines) = Case(name);

        var result = Cli.Run(args);

        Assert.Equal(code, result.ExitCode);
        AssertNoStackTrace(result.Err);
        Assert.Equal(lines, result.ErrLines.Length);
        Assert.Single(result.ErrLines, line => line.Contains(sentence, StringComparison.Ordinal));
    }

    [Fact]
    public void A_failed_export_names_the_guest_exit_code_it_replaced()
    {
        var result = Cli.Run("run", "--disk", files.Hello, "--trace", "/dev/full");

        Assert.Equal(ExitCodes.ExportFailed, result.ExitCode);
        Assert.Equal("hello\n", result.Out);
        Assert.Equal(
            $"smp run: the guest asked for exit code {(BootSectors.HelloExit << 1) | 1} through port 0xF4; the exit code is {ExitCodes.ExportFailed} because a trace was not written.",
            result.ErrLines[1]);
    }

    /// <summary>
    /// Guest RAM the host cannot give: the child process gets a 4 GB address-space limit (and a GC heap that fits in it),
    /// so the allocation fails whatever way the memory layer reserves RAM, eagerly or on first touch.
    /// </summary>
    [Theory]
    [InlineData("boot --memory 32768", "smp boot: cannot allocate 32768 MiB of guest RAM on this host (try a smaller --memory).")]
    [InlineData("run --memory 65536 --disk {0}", "smp run: cannot allocate 65536 MiB of guest RAM on this host (try a smaller --memory).")]
    public void Guest_ram_the_host_cannot_give_is_one_sentence_naming_the_size(string args, string sentence)
    {
        var script = $"ulimit -v 4000000 && exec {Cli.ShellCommand} {string.Format(args, Cli.Quote(files.Hello))}";

        var result = Cli.RunShell(script, new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" });

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        AssertNoStackTrace(result.Err);
        Assert.Equal([sentence], result.ErrLines);
    }

    private static void AssertNoStackTrace(string err)
    {
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Exception", err);
        Assert.DoesNotContain("internal error", err);
    }
}
