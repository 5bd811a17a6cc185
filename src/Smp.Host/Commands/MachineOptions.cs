using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Smp.Host.Commands;

/// <summary>Factories for the options several commands share (machine shape and trace outputs).</summary>
internal static class MachineOptions
{
    /// <summary>The least guest RAM a machine has, in MiB (the machine's memory map needs 2 MiB).</summary>
    public const int MinMemoryMiB = 2;

    /// <summary>The most guest RAM <c>--memory</c> accepts, in MiB (64 GiB).</summary>
    public const int MaxMemoryMiB = 65536;

    /// <summary><c>--cpus N</c>: the number of logical CPUs.</summary>
    /// <param name="defaultValue">The default CPU count.</param>
    /// <param name="max">The most CPUs the command can run (the built-in kernel's limit, or the machine's).</param>
    /// <param name="limit">Why <paramref name="max"/> is the limit, for the help text.</param>
    /// <returns>The option.</returns>
    public static Option<int> Cpus(int defaultValue, int max, string limit) => new("--cpus")
    {
        Description = $"Number of logical CPUs: the boot processor plus application processors woken by INIT/SIPI (1..{max}, {limit}).",
        DefaultValueFactory = _ => defaultValue,
        HelpName = "N",
        CustomParser = result => (int)ParseInRange(result, "--cpus", 1, max, string.Empty),
    };

    /// <summary><c>--parallel</c>: the parallel dispatcher.</summary>
    /// <returns>The option.</returns>
    public static Option<bool> Parallel() => new("--parallel")
    {
        Description = "Run the CPUs of each quantum on several host threads. Messages (IPIs, INIT/SIPI, BIOS calls) stay in " +
            "deterministic order, but accesses to shared guest memory by different CPUs within a quantum race as on real " +
            "hardware, so runs are no longer bit-for-bit reproducible. Not combinable with tracing.",
    };

    /// <summary>The one-sentence error when <c>--parallel</c> meets a trace option, or null when they do not meet.</summary>
    /// <param name="command">The command, for example <c>smp boot</c>.</param>
    /// <param name="parallel">Whether --parallel was given.</param>
    /// <param name="tracing">Whether any trace output was requested.</param>
    public static string? ParallelConflict(string command, bool parallel, bool tracing) =>
        parallel && tracing ? $"{command}: --parallel cannot be combined with trace options (a trace is recorded by one thread in simulated-time order)." : null;

    /// <summary><c>--memory MiB</c>: guest RAM size.</summary>
    /// <param name="min">The least RAM the command's guest can run in, in MiB.</param>
    /// <param name="minReason">Why <paramref name="min"/> is the least, named when a smaller value is refused; null for the machine's own minimum.</param>
    /// <returns>The option.</returns>
    public static Option<int> Memory(int min, string? minReason = null) => new("--memory")
    {
        Description = $"Guest RAM in MiB, reported to the guest through the BIOS E820 map ({min}..{MaxMemoryMiB}" +
            (minReason is null ? ")." : $"; {min} MiB is {minReason}).") +
            " The host must be able to provide it; otherwise the command says so and exits with code 2.",
        DefaultValueFactory = _ => 128,
        HelpName = "MiB",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (minReason is not null && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var small) && small < min)
            {
                result.AddError($"--memory must be at least {min} MiB ({minReason}), not {small}");
                return 0;
            }

            return (int)ParseInRange(result, "--memory", min, MaxMemoryMiB, " MiB");
        },
    };

    /// <summary>Parses a whole number in [min, max], reporting one clear error on the option otherwise.</summary>
    /// <param name="result">The option's argument.</param>
    /// <param name="name">The option's name for the message.</param>
    /// <param name="min">The smallest accepted value.</param>
    /// <param name="max">The largest accepted value.</param>
    /// <param name="unit">The unit for the message, with a leading space, or empty.</param>
    /// <returns>The value (0 after an error).</returns>
    public static long ParseInRange(ArgumentResult result, string name, long min, long max, string unit)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        var range = max == long.MaxValue ? $"from {min} to {max} (2^63 - 1)" : $"from {min} to {max}{unit}";
        result.AddError($"{name} expects a whole number {range}, not '{text}'");
        return 0;
    }
}
