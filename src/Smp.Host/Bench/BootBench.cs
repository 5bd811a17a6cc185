using System.Globalization;
using Smp.Devices.Platform.Actors;
using Smp.Host.Guest;
using Smp.Host.Running;
using Smp.Host.Telemetry;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench boot</c>: host wall time from machine creation to every CPU idle for the built-in kernel,
/// per CPU count (best of three runs after a warm-up boot), beside QEMU TCG's wall time from process start to "Brought up"
/// on the same disk image when QEMU is installed (<see cref="QemuBoot"/>), then the cost of tracing (a 4-CPU boot with
/// an OTLP-JSON trace at the default detail against one without). The last line is <c>boot64_ms: N</c>.
/// </summary>
internal static class BootBench
{
    private const int Runs = 3;
    private static readonly int[] CpuCounts = [1, 4, 16, 64];

    /// <summary>Runs the benchmark and prints a table, the tracing ratio and the final line.</summary>
    public static int Run(TextWriter output, TextWriter err)
    {
        var kernel = KernelImage.Build();
        var symbols = kernel.Symbols.Select(s => new KeyValuePair<string, ulong>(s.Name, s.Address)).ToArray();
        // Warm-up: .NET tiers the simulator's own hot methods up (ReadyToRun code first, optimised code after about 100
        // ms of calls), so the first boots of a process run slower code; the table measures the steady state (cold
        // start-up is what `smp boot` itself shows).
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 600) Boot(kernel, symbols, 4, TraceOptions.None);

        string? qemu = QemuBoot.Find();
        string disk = Path.Combine(Path.GetTempPath(), $"smp-bench-boot-{Environment.ProcessId}.img");
        if (qemu != null) File.WriteAllBytes(disk, kernel.Disk);
        output.WriteLine(qemu is null
            ? "cpus  wall_ms (best of 3)  simulated     instructions   (qemu-system-x86_64 not installed: no comparison)"
            : "cpus  wall_ms (best of 3)  simulated     instructions  qemu_tcg_ms (to \"Brought up\", best of 3)  smp/qemu");
        double last = 0;
        foreach (int cpus in CpuCounts)
        {
            var (best, result) = Best(() => Boot(kernel, symbols, cpus, TraceOptions.None));
            if (result.Machine.Reason != StopReason.AllIdle)
            {
                err.WriteLine($"smp bench boot: the {cpus}-CPU boot did not reach all-idle ({result.Machine.Reason}).");
                return ExitCodes.InternalError;
            }

            string line = string.Create(CultureInfo.InvariantCulture,
                $"{cpus,4}  {best,19:F1}  {BootTable.FormatTime(result.Machine.SimulatedNanoseconds),-12}  {result.Machine.Instructions,12:N0}");
            if (qemu != null)
            {
                double? tcg = null;
                for (int i = 0; i < Runs; i++)
                    if (QemuBoot.TimeToBroughtUp(qemu, disk, cpus) is { } ms) tcg = Math.Min(tcg ?? ms, ms);
                line += tcg is { } t
                    ? string.Create(CultureInfo.InvariantCulture, $"  {t,39:F1}  {best / t,8:F2}")
                    : "  QEMU did not print \"Brought up\"";
            }
            output.WriteLine(line);
            last = best;
        }

        if (qemu != null) File.Delete(disk);
        var traceFile = Path.Combine(Path.GetTempPath(), $"smp-bench-trace-{Environment.ProcessId}.json");
        try
        {
            var traced = new TraceOptions(OtlpJsonPath: traceFile);
            var (off, _) = Best(() => Boot(kernel, symbols, 4, TraceOptions.None));
            var (on, _) = Best(() => Boot(kernel, symbols, 4, traced));
            long size = new FileInfo(traceFile).Length;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"tracing (4 CPUs, --trace): {on:F1} ms vs {off:F1} ms untraced, ratio {on / off:F2}, trace file {size / 1024.0:F0} KiB"));
        }
        finally
        {
            File.Delete(traceFile);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"boot64_ms: {last:F0}"));
        return ExitCodes.Ok;
    }

    private static (double BestMs, GuestSessionResult Result) Best(Func<GuestSessionResult> boot)
    {
        double best = double.MaxValue;
        GuestSessionResult? result = null;
        for (int i = 0; i < Runs; i++)
        {
            result = boot();
            best = Math.Min(best, result.WallClock.TotalMilliseconds);
        }

        return (best, result!);
    }

    private static GuestSessionResult Boot(KernelImage kernel, KeyValuePair<string, ulong>[] symbols, int cpus, TraceOptions trace) =>
        GuestSession.Run(new GuestSessionOptions(cpus, 128, 1, DiskImageSource.FromBytes(kernel.Disk), "built-in kernel", symbols, trace, MaxSimulatedTime: 30_000_000_000),
            _ => { }, TextWriter.Null);
}
