using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Smp.Host.Commands;

/// <summary>Factories for the options several commands share (machine shape and trace outputs).</summary>
internal static class MachineOptions
{
    /// <summary>The most CPUs a machine can have (xAPIC ids are 8 bits; 255 is the broadcast id).</summary>
    public const int MaxCpus = 255;

    /// <summary><c>--cpus N</c>: the number of logical CPUs.</summary>
    /// <param name="defaultValue">The default CPU count.</param>
    /// <returns>The option.</returns>
    public static Option<int> Cpus(int defaultValue)
    {
        var option = new Option<int>("--cpus")
        {
            Description = $"Number of logical CPUs: the boot processor plus application processors woken by INIT/SIPI (1..{MaxCpus}).",
            DefaultValueFactory = _ => defaultValue,
            HelpName = "N",
            CustomParser = result => ParseInRange(result, "--cpus", 1, MaxCpus, string.Empty),
        };
        return option;
    }

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
    /// <returns>The option.</returns>
    public static Option<int> Memory()
    {
        var option = new Option<int>("--memory")
        {
            Description = "Guest RAM in MiB, reported to the guest through the BIOS E820 map (2..65536).",
            DefaultValueFactory = _ => 128,
            HelpName = "MiB",
            CustomParser = result => ParseInRange(result, "--memory", 2, 65536, " MiB"),
        };
        return option;
    }

    /// <summary>Parses a whole number in [min, max], reporting one clear error on the option otherwise.</summary>
    /// <param name="result">The option's argument.</param>
    /// <param name="name">The option's name for the message.</param>
    /// <param name="min">The smallest accepted value.</param>
    /// <param name="max">The largest accepted value.</param>
    /// <param name="unit">The unit for the message, with a leading space, or empty.</param>
    /// <returns>The value (0 after an error).</returns>
    public static int ParseInRange(ArgumentResult result, string name, int min, int max, string unit)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{name} expects a whole number from {min} to {max}{unit}, not '{text}'");
        return 0;
    }

    /// <summary>The trace options (see <see cref="TraceCliOptions"/>), in help order.</summary>
    /// <returns>The options.</returns>
    public static Option[] Trace() => new TraceCliOptions().All;
}
