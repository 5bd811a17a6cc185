using System.Diagnostics;
using Smp.Devices.Platform.Firmware;
using Smp.Host.Files;

namespace Smp.Host.Tests.Files;

public sealed class InputFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-in-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_kind_of_path_is_told_apart_without_opening_it()
    {
        var file = Path.Combine(_dir, "disk.img");
        File.WriteAllBytes(file, new byte[1000]);
        var fifo = Path.Combine(_dir, "fifo");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var link = Path.Combine(_dir, "zero");
        File.CreateSymbolicLink(link, "/dev/zero");

        Assert.Equal(FileKind.Regular, FileKinds.Of(file, out var length));
        Assert.Equal(1000, length);
        Assert.Equal(FileKind.Directory, FileKinds.Of(_dir, out _));
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of("/dev/zero", out _));
        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of(link, out _)); // links are followed
        Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo, out _));
        Assert.Equal(FileKind.Missing, FileKinds.Of(Path.Combine(_dir, "none"), out _));
        Assert.Equal(FileKind.Missing, FileKinds.Of(Path.Combine(file, "below-a-file"), out _));
    }

    [Fact]
    public void A_file_is_read_for_exactly_its_length()
    {
        var file = Path.Combine(_dir, "map");
        File.WriteAllText(file, "ffffffff81000000 T _text\n");
        var err = new StringWriter();

        Assert.Equal("ffffffff81000000 T _text\n", InputFile.ReadAllText(err, "smp run", "--symbols", file, 1 << 20));
        Assert.Empty(err.ToString());
    }

    [Fact]
    public void A_file_over_the_limit_is_refused_with_both_sizes_before_it_is_read()
    {
        var file = Path.Combine(_dir, "big");
        using (var stream = File.Create(file)) stream.SetLength(3L << 30); // sparse
        var err = new StringWriter();

        Assert.Null(InputFile.ReadAllBytes(err, "smp run", "--disk", file, 2L << 30));

        Assert.Equal($"smp run: --disk '{file}' is 3 GiB, more than the 2 GiB --disk accepts.{Environment.NewLine}", err.ToString());
    }

    [Theory]
    [InlineData(1, "1 byte")]
    [InlineData(512, "512 bytes")]
    [InlineData(65536, "64 KiB")]
    [InlineData(268435456, "256 MiB")]
    [InlineData(2147483591, "1.99 GiB")]
    [InlineData(1610612736, "1.5 GiB")]
    [InlineData(5368709120, "5 GiB")]
    public void Sizes_read_as_people_write_them(long bytes, string text) => Assert.Equal(text, InputFile.Size(bytes));
}
