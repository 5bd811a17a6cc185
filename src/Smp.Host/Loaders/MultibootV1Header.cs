using System.Buffers.Binary;

namespace Smp.Host.Loaders;

/// <summary>
/// A Multiboot (v0.6.96) header: magic 0x1BADB002, flags and checksum (magic + flags + checksum = 0), 32-bit aligned
/// within the first 8192 bytes; with flag 16 the a.out kludge's address fields follow (Multiboot spec 3.1.1–3.1.3).
/// </summary>
/// <param name="Offset">File offset of the magic.</param>
/// <param name="Flags">The flags word.</param>
/// <param name="HeaderAddr">header_addr (a.out kludge).</param>
/// <param name="LoadAddr">load_addr (a.out kludge).</param>
/// <param name="LoadEndAddr">load_end_addr (a.out kludge; 0 = to the end of the file).</param>
/// <param name="BssEndAddr">bss_end_addr (a.out kludge; 0 = no bss).</param>
/// <param name="EntryAddr">entry_addr (a.out kludge).</param>
internal sealed record MultibootV1Header(int Offset, uint Flags, uint HeaderAddr, uint LoadAddr, uint LoadEndAddr, uint BssEndAddr, uint EntryAddr)
{
    /// <summary>The header magic.</summary>
    public const uint Magic = 0x1BADB002;

    /// <summary>What the boot loader passes in EAX.</summary>
    public const uint BootloaderMagic = 0x2BADB002;

    /// <summary>The header must lie within this many bytes of the file's start.</summary>
    public const int SearchLimit = 8192;

    /// <summary>Flag 0: modules page-aligned; 1: memory information required; 2: video mode table (honoured by providing none).</summary>
    public const uint UnderstoodRequiredFlags = 0x7;

    /// <summary>Flag 16: the address fields are valid (the a.out kludge).</summary>
    public const uint AoutKludgeFlag = 0x1_0000;

    /// <summary>True when the a.out kludge's address fields say where to load.</summary>
    public bool AoutKludge => (Flags & AoutKludgeFlag) != 0;

    /// <summary>
    /// The first header with a valid checksum; <paramref name="badChecksumAt"/> is the offset of the first magic whose
    /// checksum does not add up (-1 if none) for the error when no valid header exists.
    /// </summary>
    public static MultibootV1Header? Find(ReadOnlySpan<byte> bytes, out int badChecksumAt)
    {
        badChecksumAt = -1;
        int limit = Math.Min(bytes.Length, SearchLimit);
        for (int at = 0; at + 12 <= limit; at += 4)
        {
            if (U32(bytes, at) != Magic) continue;
            uint flags = U32(bytes, at + 4);
            if (unchecked(Magic + flags + U32(bytes, at + 8)) != 0)
            {
                if (badChecksumAt < 0) badChecksumAt = at;
                continue;
            }

            Span<uint> fields = stackalloc uint[5];
            if ((flags & AoutKludgeFlag) != 0)
                for (int i = 0; i < fields.Length && at + 12 + (4 * (i + 1)) <= bytes.Length; i++) fields[i] = U32(bytes, at + 12 + (4 * i));
            return new MultibootV1Header(at, flags, fields[0], fields[1], fields[2], fields[3], fields[4]);
        }

        return null;
    }

    /// <summary>The flags and checksum at <paramref name="at"/>, for the bad-checksum sentence.</summary>
    public static (uint Flags, uint Checksum) RawAt(ReadOnlySpan<byte> bytes, int at) => (U32(bytes, at + 4), U32(bytes, at + 8));

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
}
