using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Smp.Devices.Platform.Firmware;
using Smp.Host.Gdb;
using Smp.Host.Guest;
using Smp.Host.Running;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Gdb;

/// <summary>Standard error that tells the test the port the stub bound (it names it in its first line).</summary>
internal sealed partial class PortWatchingWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Encoding Encoding => Encoding.UTF8;

    public Task<int> Port => _port.Task;

    public string Text
    {
        get
        {
            lock (_text) return _text.ToString();
        }
    }

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
            if (value == '\n' && Listening().Match(_text.ToString()) is { Success: true } m) _port.TrySetResult(int.Parse(m.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"gdb stub listening on tcp:127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}

/// <summary>Boots the built-in kernel in-process, with or without a gdb stub on a free port.</summary>
internal static class StubHost
{
    public static readonly KernelImage Kernel = KernelImage.Build();

    public static ulong Symbol(string name) => Kernel.Symbols.First(s => s.Name == name).Address;

    public static GuestSessionOptions Options(int cpus, TraceOptions trace) =>
        new(cpus, 128, 7, DiskImageSource.FromBytes(Kernel.Disk), "built-in kernel",
            Kernel.Symbols.Select(s => new KeyValuePair<string, ulong>(s.Name, s.Address)).ToArray(), trace,
            MaxSimulatedTime: 30_000_000_000, Command: "smp boot");

    public static TraceOptions WithStub(TraceOptions trace, bool wait = true) =>
        trace with { Gdb = new GdbOptions(new GdbEndpoint(IPAddress.Loopback, 0), wait) };

    /// <summary>Ends a run whose debugger went wrong: attaches (after any debugger still connected) and kills it.</summary>
    public static void Kill(int port)
    {
        try
        {
            using var gdb = new RspClient(port);
            gdb.Send("vKill;1");
            gdb.TryReadReply();
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // The run ended meanwhile: the stub no longer listens.
        }
    }

    /// <summary>Runs <c>smp ARGS</c> (with a --gdb on port 0) in-process on a thread; returns it once its stub listens.</summary>
    public static (Task<int> Smp, int Port, PortWatchingWriter Err, StringWriter Out) StartCli(params string[] args)
    {
        var err = new PortWatchingWriter();
        var stdout = new StringWriter();
        var smp = Task.Factory.StartNew(() => SmpCli.Run(args, stdout, err), TaskCreationOptions.LongRunning);
        if (Task.WhenAny(err.Port, smp).GetAwaiter().GetResult() == smp) throw new InvalidOperationException("smp ended before its stub listened: " + err.Text);
        return (smp, err.Port.Result, err, stdout);
    }

    /// <summary>Starts the session on a thread; returns it with the port its stub listens on.</summary>
    public static (Task<GuestSessionResult> Run, int Port, PortWatchingWriter Err, StringBuilder Com1) Start(GuestSessionOptions options)
    {
        var err = new PortWatchingWriter();
        var com1 = new StringBuilder();
        var run = Task.Factory.StartNew(() => GuestSession.Run(options, b => { lock (com1) com1.Append((char)b); }, err), TaskCreationOptions.LongRunning);
        var first = Task.WhenAny(err.Port, run).GetAwaiter().GetResult();
        if (first == run) throw new InvalidOperationException("the session ended before its stub listened: " + err.Text, run.Exception);
        return (run, err.Port.Result, err, com1);
    }
}
