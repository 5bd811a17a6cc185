using System.Net.Sockets;
using Smp.Devices.Platform;
using Smp.Host.Telemetry;

namespace Smp.Host.Gdb;

/// <summary>
/// The gdb stub of one run (<c>--gdb tcp:HOST:PORT</c>): it listens, accepts one debugger at a time (a second connection
/// waits until the first leaves; a debugger that leaves lets the machine run on, and another may attach), and drives the machine in place
/// of <see cref="Machine.Run"/> so that gdb can stop it (<see cref="GdbSession"/>).
/// </summary>
internal sealed class GdbStub : IDisposable
{
    private readonly TcpListener _listener;
    private readonly GdbSession _session;
    private readonly Thread _acceptor;

    private GdbStub(TcpListener listener, GdbSession session)
    {
        _listener = listener;
        _session = session;
        _acceptor = new Thread(Accept) { IsBackground = true, Name = "gdb-accept" };
        _acceptor.Start();
    }

    /// <summary>Listens for gdb on <paramref name="options"/>' endpoint and names the bound port on <paramref name="err"/>.</summary>
    /// <param name="options">Where to listen and whether to wait for gdb.</param>
    /// <param name="machine">The machine (not powered on yet).</param>
    /// <param name="trace">The run's trace, for <c>monitor trace</c>, or null.</param>
    /// <param name="command">The command naming itself in messages (<c>smp boot</c>).</param>
    /// <param name="err">Standard error.</param>
    /// <returns>The stub; call <see cref="Drive"/>.</returns>
    /// <exception cref="GdbListenException">The endpoint cannot be bound.</exception>
    public static GdbStub Start(GdbOptions options, Machine machine, BootTrace? trace, string command, TextWriter err)
    {
        var listener = new TcpListener(options.Endpoint.Address, options.Endpoint.Port);
        try
        {
            listener.Start(backlog: 1);
        }
        catch (SocketException ex)
        {
            listener.Stop();
            throw new GdbListenException($"--gdb cannot listen on {options.Endpoint}: {ex.Message}", ex);
        }

        var bound = options.Endpoint with { Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port };
        err.WriteLine($"{command}: gdb stub listening on {bound}" + (options.WaitForGdb ? " (the machine waits at the reset vector until gdb continues it)" : string.Empty));
        err.Flush();
        return new GdbStub(listener, new GdbSession(machine, options.WaitForGdb, trace, err));
    }

    /// <summary>Runs the machine to its end under gdb's control (see <see cref="GdbSession.Drive"/>).</summary>
    /// <returns>How the run ended.</returns>
    public MachineResult Drive() => _session.Drive();

    /// <summary>Stops listening, tells a connected gdb the run ended and closes the connection.</summary>
    public void Dispose()
    {
        _listener.Stop();
        _session.Dispose();
    }

    private void Accept()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = _listener.AcceptSocket();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;   // the listener was stopped
            }

            _session.OnConnected(new GdbConnection(socket, _session.OnFrame, _session.OnClosed));
        }
    }
}
