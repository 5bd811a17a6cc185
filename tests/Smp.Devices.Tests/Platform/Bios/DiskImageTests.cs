using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class DiskImageTests
{
    private static byte[] Bootable(int length)
    {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i / 512 + i);
        b[510] = 0x55; b[511] = 0xAA;
        return b;
    }

    private static string WriteTemp(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"smp-disk-{Guid.NewGuid():N}.img");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void MissingShortAndUnsignedImagesAreRejectedWithOneSentence()
    {
        var missing = Assert.Throws<DiskImageException>(() => DiskImage.Load("/nonexistent/smp/disk.img"));
        Assert.Equal("The disk image '/nonexistent/smp/disk.img' does not exist.", missing.Message);

        string shortFile = WriteTemp(new byte[100]);
        string unsigned = WriteTemp(new byte[1024]);
        try
        {
            var tooShort = Assert.Throws<DiskImageException>(() => DiskImage.Load(shortFile));
            Assert.Equal($"The disk image '{shortFile}' is 100 bytes long, shorter than one 512-byte sector.", tooShort.Message);
            var noSignature = Assert.Throws<DiskImageException>(() => DiskImage.Load(unsigned));
            Assert.Equal($"The disk image '{unsigned}' has no boot signature 0xAA55 at offset 510, so it is not bootable.", noSignature.Message);
            var directory = Assert.Throws<DiskImageException>(() => DiskImage.Load(Path.GetTempPath()));
            Assert.StartsWith($"The disk image '{Path.GetTempPath()}' cannot be read", directory.Message);
        }
        finally
        {
            File.Delete(shortFile);
            File.Delete(unsigned);
        }
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
    public void WritesLandInTheOverlayAndAPartialLastSectorReadsZeroPadded()
    {
        byte[] bytes = Bootable(1024 + 100);
        string path = WriteTemp(bytes);
        try
        {
            var disk = DiskImage.Load(path);
            Assert.Equal(3UL, disk.TotalSectors);
            byte[] sector = new byte[512];
            disk.ReadSector(2, sector);
            Assert.Equal(bytes[1024..], sector[..100]);
            Assert.All(sector[100..], b => Assert.Equal(0, b));

            byte[] data = Enumerable.Range(0, 512).Select(i => (byte)(255 - i)).ToArray();
            disk.WriteSector(1, data);
            disk.ReadSector(1, sector);
            Assert.Equal(data, sector);
            disk.ReadSector(0, sector);
            Assert.Equal(bytes[..512], sector);
            Assert.Equal(1, disk.OverlaySectors);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.Throws<ArgumentOutOfRangeException>(() => disk.ReadSector(3, sector));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
