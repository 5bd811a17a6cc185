using System.Net.Sockets;

namespace Smp.Host.Gdb;

/// <summary>
/// One gdb connection: a reader thread splits what arrives into frames and hands each to the stub's event queue;
/// replies are framed and written from the stub's thread. Acknowledgements are sent for every packet until gdb turns
/// them off (QStartNoAckMode); a '-' from gdb resends the last reply. An I/O error or a hostile packet closes it.
/// </summary>
internal sealed class GdbConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly Action<GdbConnection, RspFrame> _frame;
    private readonly Action<GdbConnection> _closed;
    private readonly Thread _reader;
    private readonly Lock _sendLock = new();
    private byte[]? _lastReply;
    private int _disposed;
    private bool _ackMode = true;

    /// <summary>Wraps <paramref name="socket"/>; <see cref="Start"/> starts reading it.</summary>
    /// <param name="socket">The accepted socket.</param>
    /// <param name="frame">Called on the reader thread for every frame.</param>
    /// <param name="closed">Called once on the reader thread when the connection ends (by either side).</param>
    public GdbConnection(Socket socket, Action<GdbConnection, RspFrame> frame, Action<GdbConnection> closed)
    {
        _socket = socket;
        _socket.NoDelay = true;
        // A peer that stops reading cannot block the stub for ever.
        _socket.SendTimeout = 10_000;
        _frame = frame;
        _closed = closed;
        Peer = socket.RemoteEndPoint?.ToString() ?? "?";
        _reader = new Thread(Read) { IsBackground = true, Name = "gdb-reader" };
    }

    /// <summary>Starts the reader thread (after the stub registered the connection, so no frame comes before it).</summary>
    public void Start() => _reader.Start();

    /// <summary>The peer's address, for messages.</summary>
    public string Peer { get; }

    /// <summary>True until gdb asks for QStartNoAckMode.</summary>
    public bool AckMode { get => Volatile.Read(ref _ackMode); set => Volatile.Write(ref _ackMode, value); }

    /// <summary>Sends a reply packet (framed and escaped).</summary>
    /// <param name="body">The reply body.</param>
    public void Send(string body) => Send(System.Text.Encoding.Latin1.GetBytes(body));

    /// <summary>Sends a reply packet whose body is binary (framed and escaped).</summary>
    /// <param name="body">The reply body.</param>
    public void Send(ReadOnlySpan<byte> body)
    {
        var frame = Rsp.Frame(body);
        lock (_sendLock)
        {
            _lastReply = frame;
            Write(frame);
        }
    }

    /// <summary>Acknowledges a packet ('+') or asks for it again ('-'), in ack mode.</summary>
    /// <param name="good">Whether the checksum matched.</param>
    public void Acknowledge(bool good)
    {
        if (!AckMode) return;
        lock (_sendLock) Write(good ? "+"u8 : "-"u8);
    }

    /// <summary>Sends the last reply again (gdb answered '-').</summary>
    public void Resend()
    {
        lock (_sendLock)
        {
            if (_lastReply is { } frame) Write(frame);
        }
    }

    /// <summary>Closes the connection (the reader thread then reports it closed).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }

        _socket.Close();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                int sent = _socket.Send(bytes);
                bytes = bytes[sent..];
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            Dispose();   // the reader sees the close and reports it
        }
    }

    private void Read()
    {
        var reader = new RspReader();
        var buffer = new byte[4096];
        var frames = new List<RspFrame>();
        try
        {
            while (true)
            {
                int n = _socket.Receive(buffer);
                if (n == 0) break;
                frames.Clear();
                bool ok = reader.Feed(buffer.AsSpan(0, n), frames);
                foreach (var f in frames) _frame(this, f);
                if (!ok) break;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The peer went away or we closed the socket: either way the connection is over.
        }

        Dispose();
        _closed(this);
    }
}
