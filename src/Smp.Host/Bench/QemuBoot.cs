using System.Diagnostics;

namespace Smp.Host.Bench;

/// <summary>
/// QEMU's side of <c>smp bench boot</c>: the wall time from starting <c>qemu-system-x86_64</c> (TCG) on the built-in
/// kernel's disk image until its COM1 shows "Brought up" (the line the kernel prints once every AP is online).
/// </summary>
internal static class QemuBoot
{
    private const string Marker = "Brought up";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>The emulator on PATH, or null when QEMU is not installed.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "qemu-system-x86_64")).FirstOrDefault(File.Exists);

    /// <summary>Milliseconds until "Brought up" with <paramref name="cpus"/> CPUs, or null when it never came.</summary>
    public static double? TimeToBroughtUp(string qemu, string disk, int cpus)
    {
        var info = new ProcessStartInfo(qemu) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "-accel", "tcg", "-machine", "pc", "-m", "128", "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio", "-drive", $"file={disk},format=raw,if=ide",
                 })
            info.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {qemu}");
        _ = p.StandardError.ReadToEndAsync();
        try
        {
            var output = p.StandardOutput;
            var seen = new System.Text.StringBuilder();
            var buffer = new char[4096];
            while (sw.Elapsed < Limit)
            {
                var read = output.ReadAsync(buffer, 0, buffer.Length);
                if (!read.Wait(Limit - sw.Elapsed) || read.Result == 0) return null;
                seen.Append(buffer, 0, read.Result);
                if (seen.ToString().Contains(Marker, StringComparison.Ordinal)) return sw.Elapsed.TotalMilliseconds;
            }
            return null;
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }
}
