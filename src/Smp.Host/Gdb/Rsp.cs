using System.Globalization;
using System.Text;

namespace Smp.Host.Gdb;

/// <summary>Encoding helpers of the remote serial protocol: checksums, hex, escaped binary data, framing of replies.</summary>
internal static class Rsp
{
    /// <summary>The modulo-256 sum of the bytes, the packet checksum.</summary>
    /// <param name="body">The packet body as sent (escaped).</param>
    /// <returns>The checksum.</returns>
    public static int Checksum(ReadOnlySpan<byte> body)
    {
        int sum = 0;
        foreach (byte b in body) sum += b;
        return sum & 0xFF;
    }

    /// <summary>The value of one hex digit, or -1.</summary>
    /// <param name="c">The character.</param>
    /// <returns>0 to 15, or -1.</returns>
    public static int HexDigit(int c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Frames a reply body: <c>$body#xx</c>, with '$', '#', '}' and '*' escaped ('}' then the byte XOR 0x20).</summary>
    /// <param name="body">The reply (binary bytes allowed).</param>
    /// <returns>The bytes to send.</returns>
    public static byte[] Frame(ReadOnlySpan<byte> body)
    {
        var escaped = new List<byte>(body.Length + 4);
        foreach (byte b in body)
        {
            if (b is (byte)'$' or (byte)'#' or (byte)'}' or (byte)'*')
            {
                escaped.Add((byte)'}');
                escaped.Add((byte)(b ^ 0x20));
            }
            else escaped.Add(b);
        }

        var frame = new byte[escaped.Count + 4];
        frame[0] = (byte)'$';
        escaped.CopyTo(frame, 1);
        frame[^3] = (byte)'#';
        string checksum = Checksum(frame.AsSpan(1, escaped.Count)).ToString("x2", CultureInfo.InvariantCulture);
        frame[^2] = (byte)checksum[0];
        frame[^1] = (byte)checksum[1];
        return frame;
    }

    /// <summary>Undoes the escaping of binary data ('}' then the byte XOR 0x20).</summary>
    /// <param name="data">Escaped bytes.</param>
    /// <returns>The data, or null when it ends in a lone '}'.</returns>
    public static byte[]? Unescape(ReadOnlySpan<byte> data)
    {
        var result = new List<byte>(data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'}')
            {
                result.Add(data[i]);
                continue;
            }

            if (++i == data.Length) return null;
            result.Add((byte)(data[i] ^ 0x20));
        }

        return [.. result];
    }

    /// <summary>Lowercase hex of the bytes.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>Two digits per byte.</returns>
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Hex of a text's bytes (monitor output, thread descriptions).</summary>
    /// <param name="text">The text.</param>
    /// <returns>Two digits per UTF-8 byte.</returns>
    public static string HexOf(string text) => Hex(Encoding.UTF8.GetBytes(text));

    /// <summary>Decodes a string of hex digit pairs.</summary>
    /// <param name="hex">The digits.</param>
    /// <returns>The bytes, or null when the length is odd or a character is not a hex digit.</returns>
    public static byte[]? FromHex(ReadOnlySpan<char> hex)
    {
        if (hex.Length % 2 != 0) return null;
        var bytes = new byte[hex.Length / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[(2 * i) + 1]);
            if (hi < 0 || lo < 0) return null;
            bytes[i] = (byte)((hi << 4) | lo);
        }

        return bytes;
    }

    /// <summary>Parses an unsigned hex number of 1 to 16 digits.</summary>
    /// <param name="text">The digits.</param>
    /// <param name="value">The number.</param>
    /// <returns>False when empty, too long or not hex.</returns>
    public static bool TryParseHex(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 16) return false;
        foreach (char c in text)
        {
            int d = HexDigit(c);
            if (d < 0) return false;
            value = (value << 4) | (uint)d;
        }

        return true;
    }
}
