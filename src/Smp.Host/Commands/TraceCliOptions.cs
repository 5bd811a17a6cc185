using System.CommandLine;
using System.CommandLine.Parsing;
using Smp.Host.Telemetry;

namespace Smp.Host.Commands;

/// <summary>
/// The trace options of <c>smp boot</c> and <c>smp run</c>: <c>--trace</c>, <c>--otlp</c>, <c>--chrome-trace</c>,
/// <c>--timeline</c>, <c>--trace-detail</c>, <c>--watch</c>; parsed into a <see cref="TraceOptions"/>. The gdb stub's
/// options (<see cref="GdbCliOptions"/>) ride along: they observe the same run and both commands take them.
/// </summary>
internal sealed class TraceCliOptions
{
    /// <summary>Creates the options.</summary>
    public TraceCliOptions()
    {
        OtlpJson = new Option<FileInfo>("--trace")
        {
            Description = "Write the trace as an OTLP-JSON file: INIT/SIPI, mode switches, GDT/IDT/TSS loads, exceptions, function spans.",
            HelpName = "FILE",
        };
        Otlp = new Option<Uri>("--otlp")
        {
            Description = "Export the OpenTelemetry trace (one span per CPU, simulated timestamps) over OTLP http/protobuf to this endpoint, " +
                $"e.g. http://localhost:4318 (/v1/traces is appended); without a URL, {OtlpLiveExporter.EndpointVariable} is used.",
            HelpName = "URL",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = ParseEndpoint,
        };
        ChromeTrace = new Option<FileInfo>("--chrome-trace")
        {
            Description = "Write the trace in Chrome/Perfetto trace-event format (open it in ui.perfetto.dev).",
            HelpName = "FILE",
        };
        Timeline = new Option<FileInfo>("--timeline")
        {
            Description = "Write a self-contained HTML timeline with one lane per CPU, to open in a browser.",
            HelpName = "FILE.html",
        };
        Detail = new Option<TraceDetail>("--trace-detail")
        {
            // No DefaultValueFactory: help would print the enum's name ("Events"), not what is typed; Read supplies it.
            Description = "How much to trace: phases (spans only), events (plus mode switches, table loads, IPIs, exceptions; the default) or all (plus every IRET).",
            HelpName = "phases|events|all",
            CustomParser = ParseDetail,
        };
        EventLimit = new Option<int>("--trace-event-limit")
        {
            Description = "Keep at most N events of each name (interrupt, exception, hlt, msr.write, ipi.sent...) per CPU; later ones " +
                $"are counted in the CPU span's cpu.events_dropped attribute, so a long run's trace stays bounded (1..{int.MaxValue}; " +
                $"default {BootTrace.DefaultEventLimit}).",
            HelpName = "N",
            CustomParser = result => (int)MachineOptions.ParseInRange(result, "--trace-event-limit", 1, int.MaxValue, string.Empty),
        };
        Watch = new Option<string[]>("--watch")
        {
            Description = "Also trace this guest symbol as a function span (repeatable); the Linux boot path is watched by default. " +
                "A name the guest's symbols (smp run: --symbols) do not have is named in a warning on stderr.",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
            CustomParser = ParseWatch,
        };
    }

    /// <summary><c>--trace FILE</c>.</summary>
    public Option<FileInfo> OtlpJson { get; }

    /// <summary><c>--otlp [URL]</c>.</summary>
    public Option<Uri> Otlp { get; }

    /// <summary><c>--chrome-trace FILE</c>.</summary>
    public Option<FileInfo> ChromeTrace { get; }

    /// <summary><c>--timeline FILE.html</c>.</summary>
    public Option<FileInfo> Timeline { get; }

    /// <summary><c>--trace-detail phases|events|all</c>.</summary>
    public Option<TraceDetail> Detail { get; }

    /// <summary><c>--trace-event-limit N</c>.</summary>
    public Option<int> EventLimit { get; }

    /// <summary><c>--watch NAME</c>, repeatable.</summary>
    public Option<string[]> Watch { get; }

    /// <summary><c>--gdb</c>, <c>--wait-gdb</c>, <c>--gdb-listen-any</c>.</summary>
    public GdbCliOptions Gdb { get; } = new();

    /// <summary>The options in help order.</summary>
    public Option[] All => [OtlpJson, Otlp, ChromeTrace, Timeline, Detail, EventLimit, Watch, .. Gdb.All];

    /// <summary>Creates the options and adds them to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    /// <returns>The options, to read the parse result with.</returns>
    public static TraceCliOptions AddTo(Command command)
    {
        var options = new TraceCliOptions();
        foreach (var option in options.All)
        {
            command.Add(option);
        }

        return options;
    }

    /// <summary>Reads the options of a parse result.</summary>
    /// <param name="result">The parse result.</param>
    /// <returns>The trace options.</returns>
    public TraceOptions Read(ParseResult result) => new(
        result.GetValue(OtlpJson)?.FullName,
        result.GetValue(Otlp),
        result.GetValue(ChromeTrace)?.FullName,
        result.GetValue(Timeline)?.FullName,
        result.GetResult(Detail) is null ? TraceDetail.Events : result.GetValue(Detail),
        result.GetValue(Watch) ?? [])
    {
        EventLimit = result.GetResult(EventLimit) is null ? BootTrace.DefaultEventLimit : result.GetValue(EventLimit),
    };

    /// <summary>
    /// Reads and checks the options (the gdb ones included): returns the options, or writes one sentence on
    /// <paramref name="err"/> and returns null (the caller exits with <see cref="ExitCodes.Usage"/>).
    /// </summary>
    /// <param name="result">The parse result.</param>
    /// <param name="command">The command's name for the message.</param>
    /// <param name="err">Standard error.</param>
    /// <returns>The options, or null after an error.</returns>
    public TraceOptions? ReadValidated(ParseResult result, string command, TextWriter err)
    {
        var options = Read(result);
        if (options.Validate() is { } problem)
        {
            err.WriteLine($"{command}: {problem} Run 'smp --help' for usage.");
            return null;
        }

        var gdb = Gdb.Read(result, out var gdbProblem);
        if (gdbProblem is not null)
        {
            err.WriteLine($"{command}: {gdbProblem}. Run 'smp --help' for usage.");
            return null;
        }

        return options with { Gdb = gdb };
    }

    /// <summary>
    /// Warns on <paramref name="err"/>, one line per name, about each <c>--watch</c> name that <paramref name="symbols"/>
    /// lacks: such a name can never become a span, and the run would otherwise give no hint why.
    /// </summary>
    /// <param name="command">The command for the message.</param>
    /// <param name="options">The trace options (their <see cref="TraceOptions.Watch"/> names).</param>
    /// <param name="symbols">The guest's symbols (empty when none were given).</param>
    /// <param name="source">Where the symbols come from, for the message, or null when there are none.</param>
    /// <param name="err">Standard error.</param>
    public static void WarnUnknownWatch(string command, TraceOptions options, IReadOnlyList<KeyValuePair<string, ulong>> symbols, string? source, TextWriter err)
    {
        if (options.Watch is not { Count: > 0 } watch) return;
        var known = symbols.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var name in watch.Distinct(StringComparer.Ordinal))
        {
            if (source is null)
                err.WriteLine($"{command}: warning: --watch '{name}' has no effect without --symbols FILE.map (the guest's symbols).");
            else if (!known.Contains(name))
                err.WriteLine($"{command}: warning: --watch '{name}' is not a symbol of {source}; nothing is traced for it.");
        }
    }

    private static Uri? ParseEndpoint(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(OtlpLiveExporter.EndpointVariable);
            if (string.IsNullOrWhiteSpace(fromEnvironment))
            {
                result.AddError($"--otlp without a URL needs {OtlpLiveExporter.EndpointVariable} to be set");
                return null;
            }

            return CheckEndpoint(result, fromEnvironment.Trim(), OtlpLiveExporter.EndpointVariable);
        }

        return CheckEndpoint(result, result.Tokens[0].Value, "--otlp");
    }

    private static Uri? CheckEndpoint(ArgumentResult result, string text, string source)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && !string.IsNullOrEmpty(uri.Host))
        {
            return uri;
        }

        result.AddError($"{source} expects an absolute http:// or https:// URL, not '{text}'");
        return null;
    }

    private static TraceDetail ParseDetail(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        switch (text.ToLowerInvariant())
        {
            case "phases":
                return TraceDetail.Phases;
            case "events":
                return TraceDetail.Events;
            case "all":
                return TraceDetail.All;
            default:
                result.AddError($"--trace-detail expects phases, events or all, not '{text}'");
                return TraceDetail.Events;
        }
    }

    private static string[] ParseWatch(ArgumentResult result)
    {
        var names = new List<string>();
        foreach (var token in result.Tokens)
        {
            var name = token.Value;
            if (name.Length == 0 || name.Any(char.IsWhiteSpace) || name.StartsWith('-'))
            {
                result.AddError($"--watch expects a symbol name, not '{name}'");
                return [];
            }

            names.Add(name);
        }

        return [.. names];
    }
}
