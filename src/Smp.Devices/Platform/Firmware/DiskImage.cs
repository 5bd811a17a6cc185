namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// The machine's hard disk (BIOS drive 0x80): a <see cref="DiskImageSource"/> read on demand, never written, under
/// a copy-on-write overlay in memory that holds every sector the guest writes. A final partial sector reads as
/// zero-padded. Host memory follows what the guest writes, not the image's size.
/// <para>
/// CHS geometry follows QEMU's rule for raw images without a geometry hint (hw/block/hd-geometry.c,
/// <c>guess_chs_for_size</c>): 16 heads, 63 sectors per track, cylinders = sectors / (16 × 63) clamped to
/// 2 … 16383. That is the geometry SeaBIOS then reports through INT 13h for disks below 504 MiB (no translation);
/// we use it for every size (larger disks are expected to use the INT 13h extensions, which are LBA).
/// We ignore QEMU's other heuristic, guessing from an MBR partition table.
/// </para>
/// </summary>
public sealed class DiskImage
{
    /// <summary>Bytes per sector.</summary>
    public const int SectorSize = 512;

    /// <summary>Heads in the CHS geometry.</summary>
    public const int Heads = 16;

    /// <summary>Sectors per track in the CHS geometry.</summary>
    public const int SectorsPerTrack = 63;

    private const int MinCylinders = 2, MaxCylinders = 16383;

    private readonly DiskImageSource _source;
    private readonly Dictionary<ulong, byte[]> _overlay = new();

    /// <summary>Creates a disk over <paramref name="source"/> with an empty overlay (the source stays the caller's to dispose).</summary>
    public DiskImage(DiskImageSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        TotalSectors = ((ulong)source.Length + SectorSize - 1) / SectorSize;
        Cylinders = (int)Math.Clamp(TotalSectors / (Heads * SectorsPerTrack), MinCylinders, MaxCylinders);
    }

    /// <summary>Creates a disk from image bytes (copied; at least one sector with the 0xAA55 boot signature).</summary>
    /// <param name="image">The raw image.</param>
    /// <param name="name">How to name the image in error messages.</param>
    /// <exception cref="DiskImageException">The image is too short or not bootable.</exception>
    public DiskImage(ReadOnlySpan<byte> image, string name = "the disk image") : this(DiskImageSource.FromBytes(image, name))
    {
    }

    /// <summary>Number of 512-byte sectors (the image size rounded up).</summary>
    public ulong TotalSectors { get; }

    /// <summary>Cylinders in the CHS geometry.</summary>
    public int Cylinders { get; }

    /// <summary>Number of distinct sectors the guest has written (held in the overlay).</summary>
    public int OverlaySectors => _overlay.Count;

    /// <summary>Converts a CHS address (sector 1-based) to an LBA, or null when it lies outside the geometry.</summary>
    public ulong? ChsToLba(int cylinder, int head, int sector)
    {
        if (cylinder < 0 || cylinder >= Cylinders || head < 0 || head >= Heads || sector < 1 || sector > SectorsPerTrack) return null;
        return ((ulong)cylinder * Heads + (ulong)head) * SectorsPerTrack + (ulong)(sector - 1);
    }

    /// <summary>True when sectors [<paramref name="lba"/>, <paramref name="lba"/> + <paramref name="count"/>) all exist.</summary>
    public bool Contains(ulong lba, ulong count) => lba < TotalSectors && count <= TotalSectors - lba;

    /// <summary>Reads one sector (overlay first, then the image) into <paramref name="destination"/> (512 bytes).</summary>
    public void ReadSector(ulong lba, Span<byte> destination)
    {
        if (lba >= TotalSectors) throw new ArgumentOutOfRangeException(nameof(lba), $"Sector {lba} is beyond the disk's {TotalSectors} sectors.");
        if (destination.Length < SectorSize) throw new ArgumentException("The destination must hold a whole sector.", nameof(destination));
        if (_overlay.TryGetValue(lba, out byte[]? written)) { written.CopyTo(destination); return; }
        _source.Read((long)lba * SectorSize, destination[..SectorSize]);
    }

    /// <summary>Writes one sector into the overlay (the image file is never modified).</summary>
    public void WriteSector(ulong lba, ReadOnlySpan<byte> source)
    {
        if (lba >= TotalSectors) throw new ArgumentOutOfRangeException(nameof(lba), $"Sector {lba} is beyond the disk's {TotalSectors} sectors.");
        if (source.Length < SectorSize) throw new ArgumentException("The source must hold a whole sector.", nameof(source));
        _overlay[lba] = source[..SectorSize].ToArray();
    }
}
