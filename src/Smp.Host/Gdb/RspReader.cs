namespace Smp.Host.Gdb;

/// <summary>
/// Splits the bytes gdb sends into frames (GDB manual, "Overview" of the remote protocol): <c>$body#xx</c> packets with
/// their checksum verified, '+' and '-' acknowledgements and the 0x03 interrupt. Anything else between packets is
/// ignored, as gdb's own stubs do. A body longer than <see cref="MaxPacketBytes"/> is hostile: <see cref="Feed"/> then
/// reports it and the connection is closed.
/// </summary>
internal sealed class RspReader
{
    /// <summary>The longest body accepted: four times the packet size the stub announces (gdb never sends more than that).</summary>
    public const int MaxPacketBytes = 4 * GdbSession.PacketSize;

    private readonly List<byte> _body = [];
    private State _state = State.Idle;
    private int _checksumHigh;

    private enum State
    {
        Idle,
        Body,
        ChecksumHigh,
        ChecksumLow,
    }

    /// <summary>Consumes bytes, adding complete frames to <paramref name="frames"/>.</summary>
    /// <param name="bytes">What arrived.</param>
    /// <param name="frames">Where frames go.</param>
    /// <returns>False when a packet body exceeded <see cref="MaxPacketBytes"/> (close the connection).</returns>
    public bool Feed(ReadOnlySpan<byte> bytes, List<RspFrame> frames)
    {
        foreach (byte b in bytes)
        {
            switch (_state)
            {
                case State.Idle:
                    if (b == (byte)'$')
                    {
                        _body.Clear();
                        _state = State.Body;
                    }
                    else if (b == (byte)'+') frames.Add(new RspFrame(RspFrameKind.Ack, []));
                    else if (b == (byte)'-') frames.Add(new RspFrame(RspFrameKind.Nack, []));
                    else if (b == 0x03) frames.Add(new RspFrame(RspFrameKind.Interrupt, []));
                    break;
                case State.Body:
                    if (b == (byte)'#') _state = State.ChecksumHigh;
                    else if (b == (byte)'$') _body.Clear();   // a new packet started: the broken one is dropped
                    else if (_body.Count >= MaxPacketBytes) return false;
                    else _body.Add(b);
                    break;
                case State.ChecksumHigh:
                    _checksumHigh = Rsp.HexDigit(b);
                    _state = State.ChecksumLow;
                    break;
                case State.ChecksumLow:
                    int low = Rsp.HexDigit(b);
                    var body = _body.ToArray();
                    bool good = _checksumHigh >= 0 && low >= 0 && ((_checksumHigh << 4) | low) == Rsp.Checksum(body);
                    frames.Add(new RspFrame(good ? RspFrameKind.Packet : RspFrameKind.BadChecksum, good ? body : []));
                    _state = State.Idle;
                    break;
            }
        }

        return true;
    }
}
