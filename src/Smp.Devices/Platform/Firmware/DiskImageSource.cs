using Microsoft.Win32.SafeHandles;

namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// The bytes of a bootable raw disk image, read on demand: a regular file of any size, opened read-only and
/// never written, or bytes in memory. Immutable, so machines can share one; each machine's BIOS puts a
/// <see cref="DiskImage"/> over it, whose copy-on-write overlay takes the guest's writes. Dispose it (closing
/// the file) when no machine uses it any more.
/// </summary>
public sealed class DiskImageSource : IDisposable
{
    private readonly SafeFileHandle? _file;
    private readonly byte[]? _bytes;

    private DiskImageSource(string name, long length, SafeFileHandle? file, byte[]? bytes)
    {
        Name = name;
        Length = length;
        _file = file;
        _bytes = bytes;
        Span<byte> boot = stackalloc byte[DiskImage.SectorSize];
        if (length < DiskImage.SectorSize)
            throw new DiskImageException($"{name} is {length} bytes long, shorter than one 512-byte sector.");
        Read(0, boot);
        if (boot[510] != 0x55 || boot[511] != 0xAA)
            throw new DiskImageException($"{name} has no boot signature 0xAA55 at offset 510, so it is not bootable.");
    }

    /// <summary>How the image is named in messages ("The disk image '/path/disk.img'").</summary>
    public string Name { get; }

    /// <summary>Size of the image in bytes.</summary>
    public long Length { get; }

    /// <summary>An image held in memory (copied).</summary>
    /// <param name="image">The raw image: at least one sector, with the 0xAA55 boot signature.</param>
    /// <param name="name">How to name the image in error messages.</param>
    /// <exception cref="DiskImageException">The image is too short or not bootable.</exception>
    public static DiskImageSource FromBytes(ReadOnlySpan<byte> image, string name = "the disk image") =>
        new(name, image.Length, null, image.ToArray());

    /// <summary>
    /// Opens an image file for reading on demand. Every problem becomes a <see cref="DiskImageException"/> with
    /// one sentence: a missing file, a directory, a device, FIFO or socket (only regular files are disk images; they
    /// are refused from their type alone, so a device is never read and a FIFO never blocks), an unreadable, too
    /// short or unbootable file.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="name">How messages name it (default <c>The disk image 'PATH'</c>; the CLI passes <c>--disk 'PATH'</c>).</param>
    public static DiskImageSource Open(string path, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        name ??= $"The disk image '{path}'";
        if (FileKinds.Refusal(FileKinds.Of(path, out _)) is { } refusal) throw new DiskImageException($"{name} {refusal}.");
        SafeFileHandle file;
        long length;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            length = RandomAccess.GetLength(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new DiskImageException($"{name} cannot be read: {e.Message}", e);
        }

        try
        {
            return new DiskImageSource(name, length, file, null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads image bytes from <paramref name="offset"/>; bytes beyond the end of the image read as zero.</summary>
    /// <exception cref="DiskImageException">The file could not be read.</exception>
    public void Read(long offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        int available = (int)Math.Clamp(Length - offset, 0, destination.Length);
        if (_bytes is not null)
        {
            _bytes.AsSpan((int)offset, available).CopyTo(destination);
        }
        else
        {
            int done = 0;
            try
            {
                while (done < available)
                {
                    int n = RandomAccess.Read(_file!, destination[done..available], offset + done);
                    if (n == 0) break; // the file shrank under us: the rest reads as zero
                    done += n;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                throw new DiskImageException($"{Name} could not be read at offset {offset + done}: {e.Message}", e);
            }

            available = done;
        }

        destination[available..].Clear();
    }

    /// <summary>Closes the image file (nothing for an image in memory).</summary>
    public void Dispose() => _file?.Dispose();
}
