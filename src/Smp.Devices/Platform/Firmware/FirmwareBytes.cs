using System.Text;

namespace Smp.Devices.Platform;

/// <summary>Helpers shared by the firmware table builders.</summary>
internal static class FirmwareBytes
{
    /// <summary>The byte that makes the 8-bit sum of <paramref name="data"/> (with the checksum byte counted as 0) equal 0.</summary>
    public static byte Checksum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (byte b in data) sum += b;
        return (byte)-sum;
    }

    /// <summary>Writes <paramref name="text"/> as ASCII padded with spaces to <paramref name="width"/> bytes.</summary>
    public static void Ascii(Span<byte> destination, string text, int width)
    {
        destination[..width].Fill((byte)' ');
        Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, width)), destination);
    }

    public static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
