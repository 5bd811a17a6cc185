using System.CommandLine;
using Smp.Host.Gdb;

namespace Smp.Host.Commands;

/// <summary>
/// The gdb options of <c>smp boot</c> and <c>smp run</c> (added with the trace options, see <see cref="TraceCliOptions"/>):
/// <c>--gdb tcp:HOST:PORT</c>, <c>--wait-gdb</c>, <c>--gdb-listen-any</c>.
/// </summary>
internal sealed class GdbCliOptions
{
    /// <summary><c>--gdb tcp:HOST:PORT</c>.</summary>
    public Option<string> Gdb { get; } = new("--gdb")
    {
        Description = $"Start a gdb stub listening on tcp:HOST:PORT or tcp::PORT (QEMU's -gdb; HOST 127.0.0.1 when empty, port {GdbEndpoint.DefaultPort} " +
            "is QEMU's -s). PORT 0 picks a free port, named on stderr. Then 'target remote HOST:PORT' in gdb: each CPU is a thread, a " +
            "stop (a breakpoint, a watchpoint, a step, Ctrl-C) freezes the whole machine and continuing changes nothing the guest does; " +
            "detaching or disconnecting lets the run go on, kill ends it; 'monitor help' lists the stub's own commands.",
        HelpName = "tcp:HOST:PORT",
    };

    /// <summary><c>--wait-gdb</c>.</summary>
    public Option<bool> WaitGdb { get; } = new("--wait-gdb")
    {
        Description = "Start stopped at the reset vector and wait until gdb continues the machine (QEMU's -S); needs --gdb.",
    };

    /// <summary><c>--gdb-listen-any</c>.</summary>
    public Option<bool> ListenAny { get; } = new("--gdb-listen-any")
    {
        Description = "Allow --gdb to listen on an address other than loopback (whoever connects controls the machine).",
    };

    /// <summary>The options in help order.</summary>
    public Option[] All => [Gdb, WaitGdb, ListenAny];

    /// <summary>Reads the options: the stub to start, or null; <paramref name="error"/> is one sentence when they do not fit.</summary>
    /// <param name="result">The parse result.</param>
    /// <param name="error">Why the options were refused, or null.</param>
    /// <returns>The stub's options, or null when there is no --gdb (or on error).</returns>
    public GdbOptions? Read(ParseResult result, out string? error)
    {
        error = null;
        var text = result.GetValue(Gdb);
        bool wait = result.GetValue(WaitGdb), any = result.GetValue(ListenAny);
        if (text is null)
        {
            if (wait || any) error = $"{(wait ? "--wait-gdb" : "--gdb-listen-any")} needs --gdb tcp:HOST:PORT";
            return null;
        }

        return GdbEndpoint.Parse(text, any, out error) is { } endpoint ? new GdbOptions(endpoint, wait) : null;
    }
}
