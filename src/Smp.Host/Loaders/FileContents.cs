using System.Buffers.Binary;
using System.Text;

namespace Smp.Host.Loaders;

/// <summary>Names what a file that is not a bootable kernel is, from its first bytes, for one-sentence errors.</summary>
internal static class FileContents
{
    /// <summary>A short noun phrase: "an ELF64 x86-64 executable", "a gzip archive", "empty", ...</summary>
    public static string Describe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return "empty";
        if (ElfFile.HasMagic(bytes)) return ElfFile.Describe(bytes);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B) return "a gzip archive";
        if (bytes.Length >= 3 && bytes[0] == (byte)'B' && bytes[1] == (byte)'Z' && bytes[2] == (byte)'h') return "a bzip2 archive";
        if (bytes.Length >= 6 && bytes[..6].SequenceEqual("070701"u8)) return "a cpio archive (an initramfs, not a kernel)";
        if (bytes.Length >= 2 && bytes[0] == (byte)'M' && bytes[1] == (byte)'Z') return "a PE/COFF (MZ) executable (an EFI application or a Windows program)";
        if (bytes.Length >= 512 && BinaryPrimitives.ReadUInt16LittleEndian(bytes[510..]) == 0xAA55)
            return "a disk image or boot sector (0xAA55 at offset 510; boot it with --disk)";
        if (LooksLikeText(bytes[..Math.Min(bytes.Length, 512)])) return "a text file";
        return $"{bytes.Length} bytes of data beginning {Hex(bytes[..Math.Min(bytes.Length, 4)])}";
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        foreach (byte b in head)
            if (b is < 0x09 or (> 0x0D and < 0x20) or 0x7F) return false;
        return true;
    }

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes) sb.Append(sb.Length == 0 ? string.Empty : " ").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
