namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// The machine's hard disk (BIOS drive 0x80): the image's bytes, never written back to the file, plus an
/// in-memory overlay that holds every sector the guest writes. A final partial sector reads as zero-padded.
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

    private readonly byte[] _image;
    private readonly Dictionary<ulong, byte[]> _overlay = new();

    /// <summary>Creates a disk from image bytes (copied; at least one sector with the 0xAA55 boot signature).</summary>
    /// <param name="image">The raw image.</param>
    /// <param name="name">How to name the image in error messages.</param>
    public DiskImage(ReadOnlySpan<byte> image, string name = "the disk image")
    {
        if (image.Length < SectorSize)
            throw new DiskImageException($"{name} is {image.Length} bytes long, shorter than one 512-byte sector.");
        if (image[510] != 0x55 || image[511] != 0xAA)
            throw new DiskImageException($"{name} has no boot signature 0xAA55 at offset 510, so it is not bootable.");
        _image = image.ToArray();
        TotalSectors = ((ulong)_image.Length + SectorSize - 1) / SectorSize;
        Cylinders = (int)Math.Clamp(TotalSectors / (Heads * SectorsPerTrack), MinCylinders, MaxCylinders);
    }

    /// <summary>Reads a disk image file; every problem becomes a <see cref="DiskImageException"/> with one clear sentence.</summary>
    public static DiskImage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DiskImageException($"The disk image '{path}' does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new DiskImageException($"The disk image '{path}' cannot be read: {e.Message}", e);
        }
        return new DiskImage(bytes, $"The disk image '{path}'");
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
        long start = (long)lba * SectorSize;
        int available = (int)Math.Min(SectorSize, _image.Length - start);
        _image.AsSpan((int)start, available).CopyTo(destination);
        destination[available..SectorSize].Clear();
    }

    /// <summary>Writes one sector into the overlay (the image file is never modified).</summary>
    public void WriteSector(ulong lba, ReadOnlySpan<byte> source)
    {
        if (lba >= TotalSectors) throw new ArgumentOutOfRangeException(nameof(lba), $"Sector {lba} is beyond the disk's {TotalSectors} sectors.");
        if (source.Length < SectorSize) throw new ArgumentException("The source must hold a whole sector.", nameof(source));
        _overlay[lba] = source[..SectorSize].ToArray();
    }
}
