namespace Smp.Host.Gdb;

/// <summary>What the stub read from gdb: a packet (checksum good or bad), an acknowledgement, or a Ctrl-C.</summary>
internal enum RspFrameKind
{
    /// <summary>A packet whose checksum matched; <see cref="RspFrame.Data"/> holds its body (still escaped).</summary>
    Packet,

    /// <summary>A packet whose checksum did not match (answered with '-', gdb sends it again).</summary>
    BadChecksum,

    /// <summary>'+': the last packet arrived.</summary>
    Ack,

    /// <summary>'-': the last packet must be sent again.</summary>
    Nack,

    /// <summary>0x03 outside a packet: gdb's Ctrl-C.</summary>
    Interrupt,
}

/// <summary>One unit of the remote serial protocol as read from the connection.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Data">The packet body between '$' and '#' for packets, empty otherwise.</param>
internal readonly record struct RspFrame(RspFrameKind Kind, byte[] Data)
{
    /// <summary>The body as text (binary bytes of an X packet are kept as Latin-1 characters).</summary>
    public string Text => System.Text.Encoding.Latin1.GetString(Data);
}
