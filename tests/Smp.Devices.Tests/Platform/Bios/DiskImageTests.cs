using System.Diagnostics;
using System.Security.Cryptography;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class DiskImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-disk-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Bootable(int length)
    {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i / 512 + i);
        b[510] = 0x55; b[511] = 0xAA;
        return b;
    }

    private string WriteTemp(byte[] bytes)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.img");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Refusal(string path) => Assert.Throws<DiskImageException>(() => DiskImageSource.Open(path)).Message;

    [Fact]
    public void MissingShortUnsignedAndDirectoryImagesAreRejectedWithOneSentence()
    {
        Assert.Equal("The disk image '/nonexistent/smp/disk.img' does not exist.", Refusal("/nonexistent/smp/disk.img"));
        string shortFile = WriteTemp(new byte[100]);
        Assert.Equal($"The disk image '{shortFile}' is 100 bytes long, shorter than one 512-byte sector.", Refusal(shortFile));
        string unsigned = WriteTemp(new byte[1024]);
        Assert.Equal($"The disk image '{unsigned}' has no boot signature 0xAA55 at offset 510, so it is not bootable.", Refusal(unsigned));
        Assert.Equal($"The disk image '{_dir}' is a directory, not a file.", Refusal(_dir));
        Assert.Equal("the disk image is 511 bytes long, shorter than one 512-byte sector.",
            Assert.Throws<DiskImageException>(() => DiskImageSource.FromBytes(new byte[511])).Message);
    }

    [Fact]
    public void DevicesAndFifosAreRefusedAtOnceWithoutBeingRead()
    {
        Assert.Equal("The disk image '/dev/zero' is a character device, not a file.", Refusal("/dev/zero"));
        string fifo = Path.Combine(_dir, "pipe");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        // Opening a FIFO for reading would wait for a writer: the refusal must come before any open.
        var refusal = Task.Run(() => Refusal(fifo));
        Assert.True(refusal.Wait(TimeSpan.FromSeconds(30)), "opening the FIFO hung");
        Assert.Equal($"The disk image '{fifo}' is a named pipe (FIFO), not a file.", refusal.Result);
    }

    [Fact]
    public void GeometryFollowsQemusRuleForRawImages()
    {
        var small = new DiskImage(Bootable(512));
        Assert.Equal((1UL, 2), (small.TotalSectors, small.Cylinders));
        var mid = new DiskImage(Bootable(100 * 1008 * 512 + 700));
        Assert.Equal((100UL * 1008 + 2, 100), (mid.TotalSectors, mid.Cylinders));
        Assert.Equal(0UL, mid.ChsToLba(0, 0, 1));
        Assert.Equal((ulong)((3 * 16 + 5) * 63 + 9), mid.ChsToLba(3, 5, 10));
        Assert.Null(mid.ChsToLba(0, 16, 1));
        Assert.Null(mid.ChsToLba(0, 0, 0));
        Assert.Null(mid.ChsToLba(0, 0, 64));
        Assert.Null(mid.ChsToLba(100, 0, 1));
        Assert.True(mid.Contains(mid.TotalSectors - 2, 2));
        Assert.False(mid.Contains(mid.TotalSectors - 1, 2));
    }

    [Fact]
    public void WritesLandInTheOverlayAndTheFileIsNeverModified()
    {
        byte[] bytes = Bootable(1024 + 100);
        string path = WriteTemp(bytes);
        var modifiedBefore = File.GetLastWriteTimeUtc(path);
        string hashBefore = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        using (var source = DiskImageSource.Open(path))
        {
            var disk = new DiskImage(source);
            Assert.Equal(3UL, disk.TotalSectors);
            byte[] sector = new byte[512];
            disk.ReadSector(2, sector);
            Assert.Equal(bytes[1024..], sector[..100]);
            Assert.All(sector[100..], b => Assert.Equal(0, b));

            byte[] data = Enumerable.Range(0, 512).Select(i => (byte)(255 - i)).ToArray();
            disk.WriteSector(1, data);
            disk.WriteSector(2, data);
            disk.ReadSector(1, sector);
            Assert.Equal(data, sector);
            disk.ReadSector(0, sector);
            Assert.Equal(bytes[..512], sector);
            Assert.Equal(2, disk.OverlaySectors);
            Assert.Throws<ArgumentOutOfRangeException>(() => disk.ReadSector(3, sector));

            // A second machine's disk over the same source starts from the file, not from the first one's writes.
            var other = new DiskImage(source);
            other.ReadSector(1, sector);
            Assert.Equal(bytes[512..1024], sector);
        }

        Assert.Equal(modifiedBefore, File.GetLastWriteTimeUtc(path));
        Assert.Equal(hashBefore, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
    }

    [Fact]
    public void AnImageOfSeveralGibibytesIsReadOnDemandWithoutLoadingIt()
    {
        // A sparse 5 GiB file: only the boot sector and one sector near the end hold data.
        string path = Path.Combine(_dir, "big.img");
        const long size = 5L << 30;
        byte[] tail = Enumerable.Range(0, 512).Select(i => (byte)(i * 3)).ToArray();
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(size);
            file.Write(Bootable(512));
            file.Position = size - 1024;
            file.Write(tail);
        }

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread(); // this thread only: test classes run in parallel
        using var source = DiskImageSource.Open(path);
        var disk = new DiskImage(source);
        byte[] sector = new byte[512];
        disk.ReadSector(disk.TotalSectors - 2, sector);
        Assert.Equal(tail, sector);
        disk.ReadSector(disk.TotalSectors / 2, sector);
        Assert.All(sector, b => Assert.Equal(0, b));
        disk.WriteSector(disk.TotalSectors - 1, tail);
        disk.ReadSector(disk.TotalSectors - 1, sector);
        Assert.Equal(tail, sector);

        Assert.Equal((ulong)(size / 512), disk.TotalSectors);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, 0, 1 << 20); // nothing like the image was allocated
        Assert.Equal(size, new FileInfo(path).Length);
    }
}
