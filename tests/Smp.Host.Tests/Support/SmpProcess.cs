using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Smp.Host.Tests.Support;

/// <summary>
/// <c>smp</c> as a child process (the built app host, started directly so that it gets signals as a shell's foreground
/// command would), with its stderr lines collected as they come, each with the moment it was read.
/// </summary>
public sealed partial class SmpProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<(TimeSpan At, string Line)> _incoming = [];
    private readonly List<(TimeSpan At, string Line)> _seen = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task<string> _stdout;

    private SmpProcess(string directory, string[] args)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, "smp");
        var info = new ProcessStartInfo(File.Exists(apphost) ? apphost : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        if (!File.Exists(apphost)) info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "smp.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        _process = Process.Start(info)!;
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _ = Task.Run(() =>
        {
            while (_process.StandardError.ReadLine() is { } line) _incoming.Add((_clock.Elapsed, line));
            _incoming.CompleteAdding();
        });
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Every stderr line read so far.</summary>
    public IReadOnlyList<(TimeSpan At, string Line)> Lines => _seen;

    /// <summary>Starts <c>smp <paramref name="args"/></c> in <paramref name="directory"/>.</summary>
    public static SmpProcess Start(string directory, params string[] args) => new(directory, args);

    /// <summary>Waits for a stderr line that <paramref name="match"/> accepts (failing the test after <paramref name="timeout"/> or at the end of stderr).</summary>
    public (TimeSpan At, string Line) WaitFor(Func<string, bool> match, TimeSpan timeout)
    {
        foreach (var seen in _seen)
            if (match(seen.Line)) return seen;
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            if (!_incoming.TryTake(out var next, deadline - _clock.Elapsed)) break;
            _seen.Add(next);
            if (match(next.Line)) return next;
        }
        Assert.Fail($"no such line within {timeout.TotalSeconds} s; stderr so far:\n{string.Join('\n', _seen.Select(s => s.Line))}");
        return default;
    }

    /// <summary>The HOST:PORT a coordinator (<c>smp stress --cluster</c>) tells workers to join, once it prints it.</summary>
    public string JoinAddress(TimeSpan timeout) => JoinLine().Match(WaitFor(l => JoinLine().IsMatch(l), timeout).Line).Groups[1].Value;

    [System.Text.RegularExpressions.GeneratedRegex(@"--join (\S+)$")]
    private static partial System.Text.RegularExpressions.Regex JoinLine();

    /// <summary>Time since the process started.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Sends <paramref name="signal"/> (2: SIGINT, 15: SIGTERM).</summary>
    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    /// <summary>Kills the process with SIGKILL.</summary>
    public void KillHard() => _process.Kill();

    /// <summary>Waits for the end (failing after <paramref name="timeout"/>): exit code, stdout, the remaining stderr read.</summary>
    public (int Code, string Out) WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"smp did not end within {timeout.TotalSeconds} s; stderr:\n{string.Join('\n', _seen.Select(s => s.Line))}");
        }
        _process.WaitForExit();
        foreach (var rest in _incoming.GetConsumingEnumerable()) _seen.Add(rest);
        return (_process.ExitCode, _stdout.Result);
    }

    /// <summary>Kills the process if it is still running.</summary>
    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
