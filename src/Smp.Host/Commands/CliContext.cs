namespace Smp.Host.Commands;

/// <summary>Where a command writes, and the one way commands report an unexpected exception.</summary>
/// <param name="Out">Standard output (guest COM1 bytes for boot/run, tables for bench).</param>
/// <param name="Err">Standard error (everything the simulator says).</param>
internal sealed record CliContext(TextWriter Out, TextWriter Err)
{
    /// <summary>The environment variable that adds stack traces to internal-error reports.</summary>
    public const string DebugVariable = "SMP_DEBUG";

    /// <summary>
    /// Runs a command's body; guest RAM the host cannot give becomes one sentence and <see cref="ExitCodes.Usage"/>,
    /// any other unexpected exception one sentence and <see cref="ExitCodes.InternalError"/>.
    /// </summary>
    /// <param name="command">The command's name for the message, for example <c>smp bench actors</c>.</param>
    /// <param name="body">The command's work, returning its exit code.</param>
    /// <returns>The exit code.</returns>
    public int Guard(string command, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Running.GuestRamUnavailableException ex)
        {
            Err.WriteLine($"{command}: {ex.Message} (try a smaller --memory).");
            return ExitCodes.Usage;
        }
        catch (Gdb.GdbListenException ex)
        {
            Err.WriteLine($"{command}: {ex.Message}.");
            return ExitCodes.Usage;
        }
        catch (Exception ex)
        {
            return ReportInternalError(command, ex);
        }
    }

    /// <summary>Prints one sentence about an unexpected exception (plus the stack trace when <c>SMP_DEBUG=1</c>).</summary>
    /// <param name="command">The command that failed.</param>
    /// <param name="exception">The exception.</param>
    /// <returns><see cref="ExitCodes.InternalError"/>.</returns>
    public int ReportInternalError(string command, Exception exception)
    {
        Err.WriteLine($"{command}: internal error: {exception.GetType().Name}: {exception.Message} (set {DebugVariable}=1 for the stack trace).");
        if (Environment.GetEnvironmentVariable(DebugVariable) == "1")
        {
            Err.WriteLine(exception.ToString());
        }

        return ExitCodes.InternalError;
    }
}
