using System.Diagnostics;
using System.Text;

namespace Smp.Host.Tests.Guest;

/// <summary>Boots a raw disk image under QEMU (TCG) and captures COM1 until a line appears or time runs out.</summary>
public static class Qemu
{
    /// <summary>The qemu-system-x86_64 found on PATH, or null.</summary>
    public static string? Path { get; } = Find();

    /// <summary>Boots <paramref name="image"/> with <paramref name="cpus"/> CPUs.</summary>
    /// <param name="image">A raw disk image file.</param>
    /// <param name="cpus">CPU count.</param>
    /// <param name="until">Stop as soon as a COM1 line contains this.</param>
    /// <param name="timeout">Kill QEMU after this long.</param>
    /// <returns>The COM1 text so far and the wall time until the line (or the timeout).</returns>
    public static (string Log, TimeSpan Elapsed) Boot(string image, int cpus, string until, TimeSpan timeout)
    {
        if (Path is null)
        {
            throw new InvalidOperationException("qemu-system-x86_64 is not on PATH; CI must install qemu-system-x86 (.ci/run).");
        }

        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-accel", "tcg", "-machine", "pc", "-nodefaults", "-display", "none", "-serial", "stdio",
            "-drive", $"file={image},format=raw", "-smp", $"{cpus},maxcpus={cpus}", "-m", "128", "-no-reboot",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var log = new StringBuilder();
        var found = new ManualResetEventSlim();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                found.Set();
                return;
            }

            lock (log)
            {
                log.Append(e.Data).Append('\n');
            }

            if (e.Data.Contains(until, StringComparison.Ordinal))
            {
                found.Set();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.Append("[qemu stderr] ").Append(e.Data).Append('\n');
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        found.Wait(timeout);
        var elapsed = clock.Elapsed;
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone (for example after -no-reboot on a triple fault).
        }

        process.WaitForExit(5000);
        lock (log)
        {
            return (log.ToString(), elapsed);
        }
    }

    private static string? Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator))
        {
            if (directory.Length == 0)
            {
                continue;
            }

            var candidate = System.IO.Path.Combine(directory, "qemu-system-x86_64");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
