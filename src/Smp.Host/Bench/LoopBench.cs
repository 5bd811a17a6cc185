using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench loop</c> and <c>smp bench com1</c>: a <see cref="LoopKernel"/> booted as a Multiboot kernel by
/// <c>smp run --kernel</c> and, when it is installed, by <c>qemu-system-x86_64</c> (TCG) in the same run. Each runs the
/// kernel for a short and a long count; the difference of the two host CPU times (user + system of the child process,
/// which cancels start-up, boot and exit) over the difference in work gives the rate. The last line is <c>ratio: R</c>
/// (smp / QEMU), or <c>smp_mips: N</c> / <c>smp_mib_per_sec: N</c> without QEMU.
/// </summary>
internal static partial class LoopBench
{
    private const long ShortIterations = 2_000_000, LongIterations = 34_000_000, InstructionsPerIteration = 16;
    private const long ShortFlood = 1L << 20, LongFlood = 17L << 20;
    private const int Repeats = 2;

    private static readonly string[] QemuMachine =
        ["-accel", "tcg", "-machine", "pc", "-m", "128", "-display", "none", "-nodefaults", "-no-reboot",
         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"];

    /// <summary>Runs <c>smp bench loop</c>: p01 MIPS of smp and QEMU TCG and their ratio.</summary>
    public static int Run(TextWriter output, TextWriter err) => Compare(output, err, "loop", LoopKernel.P01(ShortIterations),
        LoopKernel.P01(LongIterations), (LongIterations - ShortIterations) * InstructionsPerIteration / 1e6, "MIPS", "mips", []);

    /// <summary>
    /// Runs <c>smp bench com1</c>: a guest writing 17 MiB to COM1 through a polling loop (smp's output to a pipe,
    /// QEMU's serial to its null backend); MiB per host CPU second of smp and QEMU TCG and their ratio.
    /// </summary>
    public static int RunCom1(TextWriter output, TextWriter err) => Compare(output, err, "com1", LoopKernel.Com1Flood(ShortFlood),
        LoopKernel.Com1Flood(LongFlood), (LongFlood - ShortFlood) / (double)(1 << 20), "MiB/s", "mib_per_sec", ["-serial", "null"]);

    private static int Compare(TextWriter output, TextWriter err, string bench, byte[] shortImage, byte[] longImage, double units,
        string unit, string key, string[] qemuExtra)
    {
        var dir = Directory.CreateTempSubdirectory($"smp-bench-{bench}-");
        try
        {
            string shortKernel = Path.Combine(dir.FullName, "short.bin"), longKernel = Path.Combine(dir.FullName, "long.bin");
            File.WriteAllBytes(shortKernel, shortImage);
            File.WriteAllBytes(longKernel, longImage);

            var (smpExe, smpPrefix) = SelfCommand();
            var smp = Measure("smp", k => (smpExe, [.. smpPrefix, "run", "--kernel", k]), shortKernel, longKernel, units, unit, output, err);
            if (smp is null) return ExitCodes.InternalError;

            string? qemu = QemuBoot.Find();
            if (qemu is null)
            {
                output.WriteLine("qemu-system-x86_64 is not installed: no comparison");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"smp_{key}: {smp.Value:F0}"));
                return ExitCodes.Ok;
            }

            var tcg = Measure("qemu-tcg", k => (qemu, [.. QemuMachine, .. qemuExtra, "-kernel", k]), shortKernel, longKernel, units, unit, output, err);
            if (tcg is null) return ExitCodes.InternalError;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio: {smp.Value / tcg.Value:F2}"));
            return ExitCodes.Ok;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // The rate from the best (least disturbed) CPU time of each kernel; null when a run did not end as the kernel ends.
    private static double? Measure(string name, Func<string, (string Exe, string[] Args)> command, string shortKernel, string longKernel,
        double units, string unit, TextWriter output, TextWriter err)
    {
        double shortCpu = double.MaxValue, longCpu = double.MaxValue, shortWall = double.MaxValue;
        for (int i = 0; i < Repeats; i++)
        {
            foreach (bool isLong in new[] { false, true })
            {
                var (exe, args) = command(isLong ? longKernel : shortKernel);
                var (code, cpu, wall) = RunChild(exe, args);
                if (code != 1)
                {
                    err.WriteLine($"smp bench: {name} ended with exit code {code}, not the kernel's 1 (isa-debug-exit, value 0).");
                    return null;
                }
                if (isLong) longCpu = Math.Min(longCpu, cpu);
                else
                {
                    shortCpu = Math.Min(shortCpu, cpu);
                    shortWall = Math.Min(shortWall, wall);
                }
            }
        }

        double rate = units / Math.Max(longCpu - shortCpu, 1e-6);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-9} short run: {shortCpu * 1e3:F0} ms CPU ({shortWall * 1e3:F0} ms wall, start-up and exit included); " +
            $"long run: {longCpu * 1e3:F0} ms CPU; difference: {rate:F0} {unit} per host CPU second"));
        return rate;
    }

    private static (int ExitCode, double CpuSeconds, double WallSeconds) RunChild(string exe, string[] args)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        double before = ChildrenCpuSeconds();
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {exe}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        sw.Stop();
        stdout.Wait();
        stderr.Wait();
        return (p.ExitCode, ChildrenCpuSeconds() - before, sw.Elapsed.TotalSeconds);
    }

    // This process's way to run itself: the apphost, or `dotnet smp.dll`.
    private static (string Exe, string[] Prefix) SelfCommand()
    {
        string exe = Environment.ProcessPath ?? "smp";
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? (exe, [typeof(LoopBench).Assembly.Location]) : (exe, []);
    }

    // User + system time of every waited-for child (getrusage(RUSAGE_CHILDREN)): QEMU's and smp's own threads included.
    private static double ChildrenCpuSeconds()
    {
        if (GetRusage(-1, out var u) != 0) return 0;
        return u.UserSeconds + u.UserMicroseconds / 1e6 + u.SystemSeconds + u.SystemMicroseconds / 1e6;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        private long _maxrss, _ixrss, _idrss, _isrss, _minflt, _majflt, _nswap, _inblock, _oublock, _msgsnd, _msgrcv, _nsignals, _nvcsw, _nivcsw;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out RUsage usage);
}
