using System.Diagnostics;
using System.Text;

namespace Smp.Host.Tests.Guest;

/// <summary>Boots an image under QEMU with COM1 in a file and the HMP monitor on stdio, then asks the monitor questions.</summary>
public static class QemuMonitor
{
    /// <summary>A pseudo-command: <c>#sleep 500</c> waits 500 ms before the next command.</summary>
    public const string SleepPrefix = "#sleep ";

    /// <summary>Boots, waits for <paramref name="until"/> on COM1, runs <paramref name="commands"/> and quits.</summary>
    /// <param name="image">A raw disk image.</param>
    /// <param name="cpus">CPU count.</param>
    /// <param name="until">COM1 text that means "ready".</param>
    /// <param name="commands">HMP commands, for example <c>info registers -a</c>, or <see cref="SleepPrefix"/> pauses.</param>
    /// <param name="timeout">Overall limit.</param>
    /// <returns>COM1 text and the monitor's output.</returns>
    public static (string Serial, string Monitor) Inspect(string image, int cpus, string until, IEnumerable<string> commands, TimeSpan timeout)
    {
        var serial = Path.Combine(Path.GetDirectoryName(image)!, "com1.log");
        var start = new ProcessStartInfo(Qemu.Path ?? throw new InvalidOperationException("qemu-system-x86_64 is not on PATH; CI must install qemu-system-x86 (.ci/run)."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-accel", "tcg", "-machine", "pc", "-nodefaults", "-display", "none", "-serial", $"file:{serial}",
            "-monitor", "stdio", "-drive", $"file={image},format=raw", "-smp", $"{cpus},maxcpus={cpus}", "-m", "128", "-no-reboot",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var monitor = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (monitor)
                {
                    monitor.Append(e.Data).Append('\n');
                }
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        var log = string.Empty;
        while (clock.Elapsed < timeout && !log.Contains(until, StringComparison.Ordinal))
        {
            Thread.Sleep(50);
            log = ReadShared(serial);
        }

        foreach (var command in commands)
        {
            if (command.StartsWith(SleepPrefix, StringComparison.Ordinal))
            {
                process.StandardInput.Flush();
                Thread.Sleep(int.Parse(command[SleepPrefix.Length..], System.Globalization.CultureInfo.InvariantCulture));
                continue;
            }

            process.StandardInput.WriteLine(command);
        }

        process.StandardInput.WriteLine("quit");
        process.StandardInput.Flush();
        if (!process.WaitForExit((int)Math.Max(1000, (timeout - clock.Elapsed).TotalMilliseconds)))
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        lock (monitor)
        {
            return (ReadShared(serial), monitor.ToString());
        }
    }

    private static string ReadShared(string path)
    {
        if (!File.Exists(path))
        {
            return string.Empty;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
