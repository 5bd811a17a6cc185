using System.Net.Sockets;
using System.Text;

namespace Smp.Host.Tests.Gdb;

/// <summary>A minimal gdb-side client of the remote serial protocol for tests: framed requests, acknowledgements, replies.</summary>
internal sealed class RspClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private bool _ackMode = true;

    public RspClient(int port)
    {
        _client = new TcpClient("127.0.0.1", port) { NoDelay = true, ReceiveTimeout = 60_000 };
        _stream = _client.GetStream();
    }

    /// <summary>Console output (O packets) seen since the last call that returned it.</summary>
    public StringBuilder Console { get; } = new();

    /// <summary>A packet as gdb frames it: '$', '#', '}' and '*' in the body escaped ('}' then the byte xor 0x20), then the checksum.</summary>
    public static string Frame(string body)
    {
        var escaped = new StringBuilder();
        foreach (char c in body)
        {
            if (c is '$' or '#' or '}' or '*') escaped.Append('}').Append((char)(c ^ 0x20));
            else escaped.Append(c);
        }

        string text = escaped.ToString();
        return "$" + text + "#" + (Encoding.Latin1.GetBytes(text).Sum(b => b) & 0xFF).ToString("x2");
    }

    public void SendRaw(byte[] bytes) => _stream.Write(bytes);

    public void SendRaw(string text) => SendRaw(Encoding.Latin1.GetBytes(text));

    public void Send(string body) => SendRaw(Frame(body));

    /// <summary>Sends a packet and returns its reply (O packets are collected in <see cref="Console"/>).</summary>
    public string Request(string body)
    {
        Send(body);
        var reply = ReadReply();
        if (body == "QStartNoAckMode" && reply == "OK") _ackMode = false;
        return reply;
    }

    /// <summary>The next reply that is not console output; null when the stub closed the connection.</summary>
    public string? TryReadReply()
    {
        while (true)
        {
            var packet = ReadPacket();
            if (packet is null) return null;
            if (packet.Length > 1 && packet[0] == 'O' && packet != "OK")
            {
                Console.Append(Encoding.UTF8.GetString(Convert.FromHexString(packet[1..])));
                continue;
            }

            return packet;
        }
    }

    public string ReadReply() => TryReadReply() ?? throw new IOException("the stub closed the connection");

    /// <summary>gdb's <c>monitor COMMAND</c>: the stub's output (its final reply must be OK).</summary>
    public string Monitor(string command)
    {
        Console.Clear();
        var reply = Request("qRcmd," + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(command)));
        if (reply != "OK") throw new InvalidOperationException($"monitor {command}: {reply}");
        return Console.ToString();
    }

    /// <summary>The register named <paramref name="name"/> of the x86-64 view, read with <c>p</c>, as a number.</summary>
    public ulong Register(string name)
    {
        int n = Smp.Host.Gdb.GdbTargetDescription.X86_64.Registers.Select(r => r.Name).ToList().IndexOf(name);
        var bytes = Convert.FromHexString(Request($"p{n:x}"));
        Array.Resize(ref bytes, 8);
        return BitConverter.ToUInt64(bytes);
    }

    public void Interrupt() => _stream.WriteByte(0x03);

    public void Dispose() => _client.Dispose();

    // One $body#xx packet: checksum checked, escapes undone, acknowledged in ack mode; null at end of stream.
    private string? ReadPacket()
    {
        int b;
        do
        {
            b = _stream.ReadByte();
            if (b < 0) return null;
        }
        while (b != '$');

        var body = new List<byte>();
        while ((b = _stream.ReadByte()) != '#')
        {
            if (b < 0) return null;
            if (b == '}') b = _stream.ReadByte() ^ 0x20;
            body.Add((byte)b);
        }

        int hi = _stream.ReadByte(), lo = _stream.ReadByte();
        if (hi < 0 || lo < 0) return null;
        if (_ackMode) _stream.WriteByte((byte)'+');
        return Encoding.Latin1.GetString([.. body]);
    }
}
