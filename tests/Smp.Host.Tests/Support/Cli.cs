using System.Diagnostics;

namespace Smp.Host.Tests.Support;

/// <summary>What one <c>smp</c> invocation did: its exit code and what it wrote on each stream.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Out">Standard output.</param>
/// <param name="Err">Standard error.</param>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    /// <summary>The non-empty lines of standard error.</summary>
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs <c>smp</c> in-process (as <see cref="SmpCli.Run"/>) or, where the process itself matters, as a child process.</summary>
public static class Cli
{
    /// <summary>Runs <c>smp</c> in-process with captured streams.</summary>
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var code = SmpCli.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// The command that starts the built <c>smp</c> (the test output holds it, as the host project is referenced),
    /// for a shell line: <c>'/path/smp'</c>, or <c>dotnet '/path/smp.dll'</c> where the app host is missing.
    /// </summary>
    public static string ShellCommand
    {
        get
        {
            var apphost = Path.Combine(AppContext.BaseDirectory, "smp");
            return File.Exists(apphost) ? Quote(apphost) : "dotnet " + Quote(Path.Combine(AppContext.BaseDirectory, "smp.dll"));
        }
    }

    /// <summary>Starts <c>bash -c <paramref name="script"/></c> with redirected streams.</summary>
    public static Process StartShell(string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        return Process.Start(info)!;
    }

    /// <summary>Runs <c>bash -c <paramref name="script"/></c> to its end (at most two minutes, then it is killed).</summary>
    public static CliResult RunShell(string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = StartShell(script, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{script}' did not end within two minutes");
        }

        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Single-quotes <paramref name="text"/> for bash.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
