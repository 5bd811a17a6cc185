using Process = System.Diagnostics.Process;
using ProcessStartInfo = System.Diagnostics.ProcessStartInfo;
using Stopwatch = System.Diagnostics.Stopwatch;
using System.Globalization;
using System.Text;
using Smp.Devices.Cpu.Jit;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Host.Guest.Initramfs;
using Smp.Host.Loaders;
using Smp.Host.Running;
using Smp.Host.Telemetry;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench linux</c>: host wall time for a Linux bzImage with the test initramfs to print "smp: Brought up" and to
/// power off, under smp and, side by side, under QEMU TCG booting the same kernel, initrd and command line with
/// <c>-kernel</c> in the same run. The last lines are <c>linux_brought_up_s: N</c> and <c>linux_power_off_s: N</c> (smp's).
/// </summary>
internal static class LinuxBench
{
    /// <summary>The console line whose appearance is the first measurement.</summary>
    public const string BroughtUp = "smp: Brought up";

    /// <summary>The command line both simulators boot with.</summary>
    public const string CommandLine = "console=ttyS0 panic=-1 nokaslr";

    private const int MemoryMiB = 512;
    private static readonly TimeSpan QemuLimit = TimeSpan.FromMinutes(10);

    /// <summary>One simulator's numbers: wall seconds to "Brought up" and to power-off (null: never reached), and how it ended.</summary>
    private sealed record Measurement(double? BroughtUpSeconds, double? PowerOffSeconds, string Outcome, JitStatistics? Jit = null);

    /// <summary>Runs both, <paramref name="rounds"/> times, and prints the table.</summary>
    /// <param name="output">Standard output.</param>
    /// <param name="err">Standard error.</param>
    /// <param name="kernelPath">The bzImage.</param>
    /// <param name="cpus">CPUs of both machines.</param>
    /// <param name="rounds">How many times to boot under each, alternately (the last lines give the medians).</param>
    /// <returns>The exit code.</returns>
    public static int Run(TextWriter output, TextWriter err, string kernelPath, int cpus, int rounds = 1)
    {
        KernelFile kernel;
        try
        {
            kernel = KernelFile.Read(kernelPath, "--kernel");
        }
        catch (KernelLoadException ex)
        {
            err.WriteLine($"smp bench linux: {ex.Message}");
            return ExitCodes.Usage;
        }

        string initrd = Path.Combine(Path.GetTempPath(), $"smp-bench-initrd-{Environment.ProcessId}.cpio");
        File.WriteAllBytes(initrd, TestInitramfs.Build());
        try
        {
            KernelFactory factory = () => KernelDetector.Open(kernel, new BootArguments(CommandLine, KernelModule.ReadList(initrd), new MemoryMap((ulong)MemoryMiB << 20)));
            var results = new List<(Measurement Smp, Measurement Qemu)>();
            for (int round = 0; round < rounds; round++)
            {
                // Each round compiles the guest's code from nothing, as the first did (the process keeps translations).
                JitStatistics.ForgetTranslations();
                Measurement smp;
                try
                {
                    smp = RunSmp(factory, cpus);
                }
                catch (KernelLoadException ex)
                {
                    err.WriteLine($"smp bench linux: {ex.Message}");
                    return ExitCodes.Usage;
                }

                results.Add((smp, RunQemu(kernelPath, initrd, cpus)));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Linux {Path.GetFileName(kernelPath)}, {cpus} CPUs, {MemoryMiB} MiB, '{CommandLine}', the test initramfs"));
            if (rounds == 1) PrintOne(output, results[0].Smp, results[0].Qemu);
            else PrintRounds(output, results);
            var ratio = Median(results.Select(r => r.Smp.PowerOffSeconds / r.Qemu.PowerOffSeconds));
            if (ratio is { } value) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"linux_power_off_ratio: {value:F2}"));
            output.WriteLine($"linux_brought_up_s: {Seconds(Median(results.Select(r => r.Smp.BroughtUpSeconds)))}");
            output.WriteLine($"linux_power_off_s: {Seconds(Median(results.Select(r => r.Smp.PowerOffSeconds)))}");
            return results.Any(r => r.Smp.PowerOffSeconds is null) ? ExitCodes.InternalError : ExitCodes.Ok;
        }
        finally
        {
            File.Delete(initrd);
        }
    }

    private static void PrintOne(TextWriter output, Measurement smp, Measurement qemu)
    {
        output.WriteLine($"{"wall time (s)",-22}  {"smp",8}  {"qemu-tcg",10}");
        output.WriteLine($"{"to \"" + BroughtUp + "\"",-22}  {Seconds(smp.BroughtUpSeconds),8}  {Seconds(qemu.BroughtUpSeconds),10}");
        output.WriteLine($"{"to power-off",-22}  {Seconds(smp.PowerOffSeconds),8}  {Seconds(qemu.PowerOffSeconds),10}");
        output.WriteLine($"{"how it ended",-22}  smp: {smp.Outcome}; qemu: {qemu.Outcome}");
        if (smp.Jit is { } jit && jit.Compiled > 0)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"smp's translator: {jit.Compiled} regions compiled in {jit.CompileTime.TotalSeconds:0.0} s ({jit.CompileTime.TotalMilliseconds / jit.Compiled:0.0} ms, {jit.IlBytes / jit.Compiled} IL bytes each), {jit.Waiting} waiting at the end"));
    }

    // One row per round (smp and QEMU alternate, so a busy host slows both of a round alike), then the medians.
    private static void PrintRounds(TextWriter output, List<(Measurement Smp, Measurement Qemu)> results)
    {
        output.WriteLine($"{"wall time (s)",-8}  {"smp up",7}  {"smp off",8}  {"qemu up",8}  {"qemu off",9}  {"off ratio",9}  smp's translator: regions compiled, waiting at the end");
        for (int i = 0; i < results.Count; i++)
        {
            var (smp, qemu) = results[i];
            string jit = smp.Jit is { } j ? $"{j.Compiled}, {j.Waiting}" : "-";
            output.WriteLine($"{"round " + (i + 1),-8}  {Seconds(smp.BroughtUpSeconds),7}  {Seconds(smp.PowerOffSeconds),8}  {Seconds(qemu.BroughtUpSeconds),8}  " +
                $"{Seconds(qemu.PowerOffSeconds),9}  {Ratio(smp.PowerOffSeconds / qemu.PowerOffSeconds),9}  {jit}");
        }

        output.WriteLine($"{"median",-8}  {Seconds(Median(results.Select(r => r.Smp.BroughtUpSeconds))),7}  {Seconds(Median(results.Select(r => r.Smp.PowerOffSeconds))),8}  " +
            $"{Seconds(Median(results.Select(r => r.Qemu.BroughtUpSeconds))),8}  {Seconds(Median(results.Select(r => r.Qemu.PowerOffSeconds))),9}  " +
            $"{Ratio(Median(results.Select(r => r.Smp.PowerOffSeconds / r.Qemu.PowerOffSeconds))),9}");
        foreach (var outcome in results.Select(r => $"smp: {r.Smp.Outcome}; qemu: {r.Qemu.Outcome}").Distinct())
            output.WriteLine($"how it ended: {outcome}");
    }

    // The median of the values, or null when any is missing (a run that never got there).
    private static double? Median(IEnumerable<double?> values)
    {
        var list = values.ToList();
        if (list.Count == 0 || list.Any(v => v is null)) return null;
        var sorted = list.Select(v => v!.Value).Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Ratio(double? r) => r is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private delegate Devices.Platform.Firmware.IKernelImage KernelFactory();

    private static Measurement RunSmp(KernelFactory kernel, int cpus)
    {
        var jit = JitStatistics.Now();
        var wall = Stopwatch.StartNew();
        double? broughtUp = null;
        var watcher = new LineWatcher(BroughtUp, () => broughtUp ??= wall.Elapsed.TotalSeconds);
        var options = new GuestSessionOptions(cpus, MemoryMiB, Seed: 0, Disk: null, "linux", [], TraceOptions.None, MaxInstructions: 200_000_000_000)
        {
            Kernel = kernel(),
        };
        var result = GuestSession.Run(options, watcher.Write, TextWriter.Null);
        double total = wall.Elapsed.TotalSeconds;
        return new Measurement(broughtUp, result.Machine.Reason == StopReason.PowerOff ? total : null, result.Machine.Reason.ToString(),
            JitStatistics.Now().Since(jit));
    }

    private static Measurement RunQemu(string kernel, string initrd, int cpus)
    {
        var start = new ProcessStartInfo("qemu-system-x86_64",
            ["-accel", "tcg", "-kernel", kernel, "-initrd", initrd, "-append", CommandLine, "-smp", cpus.ToString(CultureInfo.InvariantCulture),
             "-m", MemoryMiB.ToString(CultureInfo.InvariantCulture), "-nographic", "-no-reboot", "-monitor", "none"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        var wall = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new Measurement(null, null, "qemu-system-x86_64 is not installed");
        }

        using (process)
        {
            double? broughtUp = null, poweredOff = null;
            var watcher = new LineWatcher(BroughtUp, () => broughtUp ??= wall.Elapsed.TotalSeconds);
            var errors = process.StandardError.ReadToEndAsync();
            var reader = Task.Run(() =>
            {
                var buffer = new byte[4096];
                int n;
                while ((n = process.StandardOutput.BaseStream.Read(buffer)) > 0)
                    for (int i = 0; i < n; i++) watcher.Write(buffer[i]);
            });
            if (!process.WaitForExit(QemuLimit))
            {
                process.Kill(entireProcessTree: true);
                return new Measurement(broughtUp, null, $"killed after {QemuLimit.TotalMinutes} minutes");
            }

            reader.Wait();
            // QEMU exits 0 when the guest powers off through ACPI S5 (and with -no-reboot when it resets).
            if (process.ExitCode == 0 && watcher.Saw("reboot: Power down")) poweredOff = wall.Elapsed.TotalSeconds;
            return new Measurement(broughtUp, poweredOff, process.ExitCode == 0 ? "exit 0" : $"exit {process.ExitCode}: {errors.Result.Trim()}");
        }
    }

    private static string Seconds(double? s) => s is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    // Finds console lines as the bytes arrive: the callback fires at the end of the first line containing the text.
    private sealed class LineWatcher(string text, Action seen)
    {
        private readonly StringBuilder _line = new();
        private readonly HashSet<string> _lines = [];

        public void Write(byte b)
        {
            if (b != (byte)'\n')
            {
                if (b != (byte)'\r') _line.Append((char)b);
                return;
            }

            string line = _line.ToString();
            _line.Clear();
            if (line.Contains(text, StringComparison.Ordinal)) seen();
            if (line.Contains("reboot: ", StringComparison.Ordinal)) _lines.Add(line[line.IndexOf("reboot: ", StringComparison.Ordinal)..]);
        }

        public bool Saw(string line) => _lines.Contains(line);
    }
}
