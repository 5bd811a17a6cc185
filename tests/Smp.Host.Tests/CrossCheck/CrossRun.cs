using System.Diagnostics;
using System.Text;
using Smp.Host.Tests.Guest;

namespace Smp.Host.Tests.CrossCheck;

/// <summary>Runs one image under <c>smp run</c> (in-process, through the CLI entry) and under QEMU, with the command lines.</summary>
internal static class CrossRun
{
    public sealed record Outcome(int ExitCode, string Com1, string Diagnostics);

    /// <summary><c>smp run --disk IMG --cpus N</c>; the exit code is what the CLI returns (the OS keeps its low 8 bits).</summary>
    public static Outcome Smp(string image, int cpus)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = SmpCli.Run(["run", "--disk", image, "--cpus", $"{cpus}", "--max-instructions", "400000000"], stdout, stderr);
        return new Outcome(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>QEMU 7.2 TCG with isa-debug-exit; COM1 bytes are read raw (Latin-1, one char per byte).</summary>
    public static Outcome Qemu(string image, int cpus, TimeSpan timeout) =>
        QemuWith([.. CommonQemuArguments, "-drive", $"file={image},format=raw", "-smp", $"{cpus}"], timeout);

    /// <summary>
    /// QEMU's <c>-kernel</c> boot, as kvm-unit-tests' runner sets it up (pc-testdev, isa-debug-exit iosize 4, 128 MiB),
    /// with optional <c>-append</c> and <c>-initrd</c>.
    /// </summary>
    public static Outcome QemuKernel(string kernel, string? append, string? initrd, TimeSpan timeout)
    {
        List<string> args = [.. CommonQemuArguments, "-device", "pc-testdev", "-kernel", kernel];
        if (append is not null) args.AddRange(["-append", append]);
        if (initrd is not null) args.AddRange(["-initrd", initrd]);
        return QemuWith(args, timeout);
    }

    // The machine both cross-check kinds use: QEMU 7.2 TCG's pc with COM1 on stdio and isa-debug-exit, 128 MiB.
    private static readonly string[] CommonQemuArguments =
    [
        "-accel", "tcg", "-machine", "pc", "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-m", "128",
    ];

    /// <summary>qemu-system-x86_64 with <paramref name="arguments"/>: its exit code (−1 after a time-out), standard output raw, standard error.</summary>
    public static Outcome QemuWith(IEnumerable<string> arguments, TimeSpan timeout)
    {
        if (Guest.Qemu.Path is null)
        {
            throw new InvalidOperationException("qemu-system-x86_64 is not on PATH; CI must install qemu-system-x86 (.ci/run).");
        }

        var start = new ProcessStartInfo(Guest.Qemu.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            copy.Wait(TimeSpan.FromSeconds(5));
            return new Outcome(-1, Encoding.Latin1.GetString(output.ToArray()), $"QEMU timed out after {timeout.TotalSeconds} s");
        }

        copy.Wait(TimeSpan.FromSeconds(5));
        errors.Wait(TimeSpan.FromSeconds(5));
        return new Outcome(process.ExitCode, Encoding.Latin1.GetString(output.ToArray()), errors.Result);
    }
}
