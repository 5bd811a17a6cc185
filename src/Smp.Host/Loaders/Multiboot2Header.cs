using System.Buffers.Binary;

namespace Smp.Host.Loaders;

/// <summary>One tag of a Multiboot2 header (Multiboot2 spec 3.1.3): type, flags (bit 0 = optional) and its body.</summary>
/// <param name="Type">The tag type.</param>
/// <param name="Optional">Flag bit 0: the kernel can do without it.</param>
/// <param name="Offset">File offset of the tag.</param>
/// <param name="Size">The tag's size field (8 + body).</param>
internal sealed record Multiboot2HeaderTag(ushort Type, bool Optional, int Offset, uint Size);

/// <summary>
/// A Multiboot2 header (Multiboot2 spec 1.6, 3.1): magic 0xE85250D6, architecture 0 (i386 protected mode), header_length
/// and checksum (the four add up to 0), 64-bit aligned within the first 32768 bytes, followed by 8-byte-aligned tags up
/// to the end tag.
/// </summary>
/// <param name="Offset">File offset of the magic.</param>
/// <param name="Architecture">The architecture field.</param>
/// <param name="Length">header_length.</param>
/// <param name="Tags">The tags before the end tag.</param>
internal sealed record Multiboot2Header(int Offset, uint Architecture, uint Length, IReadOnlyList<Multiboot2HeaderTag> Tags)
{
    /// <summary>The header magic.</summary>
    public const uint Magic = 0xE852_50D6;

    /// <summary>What the boot loader passes in EAX.</summary>
    public const uint BootloaderMagic = 0x36D7_6289;

    /// <summary>The header must lie within this many bytes of the file's start.</summary>
    public const int SearchLimit = 32768;

    /// <summary>Tag types (spec 3.1.4–3.1.12).</summary>
    public const ushort TagEnd = 0, TagInformationRequest = 1, TagAddress = 2, TagEntryAddress = 3, TagConsoleFlags = 4, TagFramebuffer = 5,
        TagModuleAlignment = 6, TagEfiBootServices = 7, TagEfi32Entry = 8, TagEfi64Entry = 9, TagRelocatable = 10;

    /// <summary>The first header with a valid checksum; <paramref name="badChecksumAt"/> is the first magic whose checksum fails (-1 if none).</summary>
    public static Multiboot2Header? Find(ReadOnlySpan<byte> bytes, out int badChecksumAt)
    {
        badChecksumAt = -1;
        int limit = Math.Min(bytes.Length, SearchLimit);
        for (int at = 0; at + 16 <= limit; at += 8)
        {
            if (U32(bytes, at) != Magic) continue;
            uint arch = U32(bytes, at + 4), length = U32(bytes, at + 8), checksum = U32(bytes, at + 12);
            if (unchecked(Magic + arch + length + checksum) != 0)
            {
                if (badChecksumAt < 0) badChecksumAt = at;
                continue;
            }

            var tags = new List<Multiboot2HeaderTag>();
            long end = Math.Min((long)at + length, bytes.Length);
            for (long t = at + 16; t + 8 <= end;)
            {
                ushort type = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(int)t..]);
                ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes[((int)t + 2)..]);
                uint size = U32(bytes, (int)t + 4);
                if (type == TagEnd || size < 8) break;
                tags.Add(new Multiboot2HeaderTag(type, (flags & 1) != 0, (int)t, size));
                t += (size + 7) & ~7u;
            }

            return new Multiboot2Header(at, arch, length, tags);
        }

        return null;
    }

    /// <summary>The architecture, header_length and checksum at <paramref name="at"/>, for the bad-checksum sentence.</summary>
    public static (uint Architecture, uint Length, uint Checksum) RawAt(ReadOnlySpan<byte> bytes, int at) => (U32(bytes, at + 4), U32(bytes, at + 8), U32(bytes, at + 12));

    /// <summary>A 32-bit field of a tag's body (after its 8-byte head), or 0 past the file's end.</summary>
    public static uint Field(ReadOnlySpan<byte> bytes, Multiboot2HeaderTag tag, int index)
    {
        int at = tag.Offset + 8 + (4 * index);
        return at + 4 <= bytes.Length && 8 + (4 * (index + 1)) <= tag.Size ? U32(bytes, at) : 0;
    }

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
}
