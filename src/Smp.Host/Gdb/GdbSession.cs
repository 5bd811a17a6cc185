using System.Collections.Concurrent;
using Smp.Devices.Cpu.Debugger;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Host.Telemetry;

namespace Smp.Host.Gdb;

/// <summary>
/// The gdb remote serial protocol for one machine, in all-stop mode with one thread per CPU (thread id = CPU index + 1).
/// Two threads meet here: the driver (<see cref="Drive"/>, the command's thread) runs the machine and waits while it is
/// stopped; the session thread handles everything else in order — frames from the connection, the machine's stops and
/// its end — from one queue. The machine belongs to the driver while it runs and to the session thread while it is
/// stopped, so CPU state is only touched by one thread at a time. Nothing here throws out to the simulator: a bad
/// packet gets an error reply, a broken connection is closed, and a machine without a debugger runs on.
/// </summary>
internal sealed partial class GdbSession : IDisposable
{
    /// <summary>The packet size announced in qSupported (hex 4000): register and memory replies fit in it.</summary>
    public const int PacketSize = 0x4000;

    // Connections that may wait for the attached debugger to leave; more are refused (a client looping on connect).
    private const int MaxWaiting = 8;

    private readonly Machine _machine;
    private readonly MachineDebugger _debugger;
    private readonly BootTrace? _trace;
    private readonly TextWriter _err;
    private readonly BlockingCollection<object> _events = [];
    private readonly SemaphoreSlim _resume = new(0);
    private readonly Thread _thread;
    private readonly Queue<RspFrame> _deferred = new();

    // Session-thread state.
    private MachineState _state;
    private GdbConnection? _connection;
    private readonly Queue<GdbConnection> _waiting = new();   // accepted while a debugger is attached: adopted in turn
    private bool _awaitingStop, _interrupted, _reportSwBreak, _reportHwBreak;
    private int _generalCpu, _continueCpu = -1;
    private int? _reportedCpu;
    private string _stopReply = "T05thread:1;core:0;";   // waiting at the reset vector (--wait-gdb)
    private string _viewSetting = "x86-64";
    private GdbTargetDescription _view = GdbTargetDescription.X86_64;
    private int _exitCode;

    // Written by the session thread before it releases _resume; read by the driver after.
    private volatile bool _kill;

    /// <summary>Creates the session for <paramref name="machine"/> (attaching its debugger) and starts the session thread.</summary>
    /// <param name="machine">The machine, not yet powered on.</param>
    /// <param name="waitForGdb">Whether the machine stays stopped at the reset vector until gdb continues it.</param>
    /// <param name="trace">The run's trace (for <c>monitor trace on|off</c>), or null.</param>
    /// <param name="err">Standard error, for the stub's few messages.</param>
    public GdbSession(Machine machine, bool waitForGdb, BootTrace? trace, TextWriter err)
    {
        _machine = machine;
        _debugger = machine.AttachDebugger();
        _trace = trace;
        _err = err;
        WaitForGdb = waitForGdb;
        _state = waitForGdb ? MachineState.Stopped : MachineState.Running;
        _thread = new Thread(Loop) { IsBackground = true, Name = "gdb-session" };
        _thread.Start();
    }

    private enum MachineState
    {
        Running,
        Stopped,
        Finished,
    }

    /// <summary>Whether the machine waits for gdb before it starts.</summary>
    public bool WaitForGdb { get; }

    /// <summary>
    /// Runs the machine to its end, stopping whenever the debugger asks and waiting until gdb continues it (the command's
    /// thread calls it in place of <see cref="Machine.Run"/>). gdb's kill ends the run where it stands.
    /// </summary>
    /// <returns>How the run ended.</returns>
    public MachineResult Drive()
    {
        long? limit = _machine.Config.MaxSimulatedTime;
        if (WaitForGdb && WaitForResume()) return Killed();
        _machine.PowerOn();
        while (true)
        {
            var result = _machine.Continue(limit);
            if (!_debugger.IsPaused)
            {
                _events.Add(new MachineFinished(result));
                return result;
            }

            _events.Add(new MachineStopped());
            if (WaitForResume()) return Killed();
        }
    }

    /// <summary>Called by the accept loop with a new connection.</summary>
    /// <param name="connection">The connection, not started: the session starts reading it when it adopts it.</param>
    public void OnConnected(GdbConnection connection) => Post(new ConnectionOpened(connection));

    /// <summary>Called on a connection's reader thread for each frame: acknowledges packets at once, queues the rest.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="frame">The frame.</param>
    public void OnFrame(GdbConnection connection, RspFrame frame)
    {
        if (frame.Kind is RspFrameKind.Packet or RspFrameKind.BadChecksum) connection.Acknowledge(frame.Kind == RspFrameKind.Packet);
        if (frame.Kind is RspFrameKind.Packet or RspFrameKind.Nack or RspFrameKind.Interrupt) Post(new FrameArrived(connection, frame));
    }

    /// <summary>Called on a connection's reader thread when it ends.</summary>
    /// <param name="connection">The connection.</param>
    public void OnClosed(GdbConnection connection) => Post(new ConnectionClosed(connection));

    /// <summary>Lets the session thread finish what is queued (the exit reply to gdb), then stops it and closes the connection.</summary>
    public void Dispose()
    {
        _events.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(15));
        _connection?.Dispose();
        while (_waiting.TryDequeue(out var waiting)) waiting.Dispose();
        _resume.Dispose();
    }

    private void Post(object e)
    {
        try
        {
            _events.Add(e);
        }
        catch (InvalidOperationException)
        {
            // The session is over (the run ended): late connections and frames are dropped; their connection closes with the process.
            (e as ConnectionOpened)?.Connection.Dispose();
        }
    }

    // The driver waits for gdb; true when gdb killed the run.
    private bool WaitForResume()
    {
        _resume.Wait();
        return _kill;
    }

    private MachineResult Killed()
    {
        _machine.Control.Finish(StopReason.DebuggerKill);
        var result = _machine.Summarize();
        _events.Add(new MachineFinished(result));
        return result;
    }

    private void Loop()
    {
        foreach (var e in _events.GetConsumingEnumerable())
        {
            try
            {
                Handle(e);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug in the stub must not take the run with it: gdb loses its connection, the machine runs on.
                _err.WriteLine($"smp: gdb stub: internal error ({ex.GetType().Name}: {ex.Message}); the connection is closed and the machine runs on.");
                _connection?.Dispose();
                _connection = null;
                if (_state == MachineState.Stopped) ResumeDetached();
            }
        }
    }

    private void Handle(object e)
    {
        switch (e)
        {
            case ConnectionOpened opened:
                OnConnectionOpened(opened.Connection);
                break;
            case FrameArrived arrived when arrived.Connection == _connection:
                OnFrameArrived(arrived.Frame);
                break;
            case ConnectionClosed closed when closed.Connection == _connection:
                _connection = null;
                _deferred.Clear();
                _awaitingStop = false;
                if (_waiting.TryDequeue(out var next))
                {
                    // The next debugger takes over the stopped (or stopping) machine, breakpoints and all reset.
                    _debugger.Points.Clear();
                    _debugger.PointsChanged();
                    OnConnectionOpened(next);
                }
                else if (_state == MachineState.Stopped) ResumeDetached();
                else if (_state == MachineState.Running) _debugger.RequestPause();   // detached when it stops
                break;
            case MachineStopped:
                OnMachineStopped();
                break;
            case MachineFinished finished:
                OnMachineFinished(finished.Result);
                break;
        }
    }

    private void OnConnectionOpened(GdbConnection connection)
    {
        if (_state == MachineState.Finished || _waiting.Count >= MaxWaiting)
        {
            _err.WriteLine($"smp: gdb stub: connection from {connection.Peer} refused ({(_state == MachineState.Finished ? "the run has ended" : $"a debugger is attached and {MaxWaiting} more wait")}).");
            connection.Dispose();
            return;
        }

        if (_connection is not null)
        {
            // As QEMU's socket: a second debugger waits (unread) until the first one leaves.
            _waiting.Enqueue(connection);
            return;
        }

        _connection = connection;
        connection.Start();
        _awaitingStop = _interrupted = false;
        _reportSwBreak = _reportHwBreak = _physicalMemory = false;
        _viewSetting = "x86-64";
        _view = GdbTargetDescription.X86_64;
        _deferred.Clear();
        // Attaching stops a running machine, as QEMU's stub does; gdb's first packets are answered once it has stopped.
        if (_state == MachineState.Running) _debugger.RequestPause();
    }

    private void OnFrameArrived(RspFrame frame)
    {
        var connection = _connection!;
        switch (frame.Kind)
        {
            case RspFrameKind.Nack:
                connection.Resend();
                return;
            case RspFrameKind.Interrupt:
                if (_state == MachineState.Running)
                {
                    _interrupted = true;
                    _debugger.RequestPause();
                }

                return;
        }

        switch (_state)
        {
            case MachineState.Stopped:
                Answer(frame.Text);
                break;
            case MachineState.Running:
                // All-stop: gdb sends nothing but Ctrl-C while the machine runs; anything else waits for the stop it causes.
                if (_deferred.Count >= 64)
                {
                    connection.Dispose();
                    return;
                }

                _deferred.Enqueue(frame);
                _debugger.RequestPause();
                break;
            default:
                connection.Send(ExitReply());
                connection.Dispose();
                break;
        }
    }

    private void OnMachineStopped()
    {
        _state = MachineState.Stopped;
        if (_connection is null)
        {
            ResumeDetached();
            return;
        }

        var stops = _debugger.Stops();
        int cpu = stops.Count > 0 ? stops[0].Cpu : _generalCpu;
        _stopReply = StopReply(cpu, stops.Count > 0 ? stops[0].Stop : default, _interrupted);
        _interrupted = false;
        _reportedCpu = cpu;
        _generalCpu = cpu;    // gdb takes the stopped thread as the current one
        _continueCpu = cpu;
        if (_awaitingStop)
        {
            _awaitingStop = false;
            _connection.Send(_stopReply);
        }

        while (_state == MachineState.Stopped && _deferred.Count > 0 && _connection is not null) Answer(_deferred.Dequeue().Text);
    }

    private void OnMachineFinished(MachineResult result)
    {
        _state = MachineState.Finished;
        _exitCode = result.Reason == StopReason.DebugExit ? result.ExitCode ?? 0 : 0;
        while (_waiting.TryDequeue(out var waiting)) waiting.Dispose();
        if (_connection is null) return;
        // gdb sees the inferior exit (it may have been waiting for a stop, or still be greeting a machine that ended).
        _connection.Send(ExitReply());
        _connection.Dispose();
        _connection = null;
    }

    private string ExitReply() => $"W{_exitCode & 0xFF:x2}";

    // The stop reply (GDB manual, "Stop Reply Packets"): SIGTRAP with the reason, or SIGINT after Ctrl-C.
    private string StopReply(int cpu, DebugStop stop, bool interrupted)
    {
        string signal = stop.Kind == DebugStopKind.None && interrupted ? "02" : "05";
        string reason = stop.Kind switch
        {
            DebugStopKind.Breakpoint when _debugger.Points.IsSoftwareBreakpoint(stop.LinearIp) => _reportSwBreak ? "swbreak:;" : string.Empty,
            DebugStopKind.Breakpoint => _reportHwBreak ? "hwbreak:;" : string.Empty,
            DebugStopKind.Watchpoint => stop.Watch!.Value.Kind switch
            {
                WatchKind.Write => "watch",
                WatchKind.Read => "rwatch",
                _ => "awatch",
            } + $":{stop.DataAddress:x};",
            _ => string.Empty,
        };
        return $"T{signal}thread:{cpu + 1:x};core:{cpu:x};{reason}";
    }

    // Lets the machine run on, gdb's resume actions applied: CPUs in stepCpus stop after one instruction (or event).
    private void Resume(IEnumerable<int> stepCpus)
    {
        _debugger.PrepareResume(_reportedCpu);
        foreach (int cpu in stepCpus) _debugger.Step(cpu);
        _state = MachineState.Running;
        _awaitingStop = true;
        _resume.Release();
    }

    // No debugger any more: every breakpoint, watchpoint and step goes, and the machine runs on undisturbed.
    private void ResumeDetached()
    {
        _debugger.Detach();
        _awaitingStop = false;
        _state = MachineState.Running;
        _resume.Release();
    }

    private void Kill()
    {
        _kill = true;
        _state = MachineState.Running;
        _resume.Release();
    }

    private sealed record ConnectionOpened(GdbConnection Connection);

    private sealed record FrameArrived(GdbConnection Connection, RspFrame Frame);

    private sealed record ConnectionClosed(GdbConnection Connection);

    private sealed record MachineStopped;

    private sealed record MachineFinished(MachineResult Result);
}
