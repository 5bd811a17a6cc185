using Smp.Host;

namespace Smp.Host.Tests.Guest;

public sealed class ImageCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("smp-image-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Image_writes_the_disk_and_the_system_map_next_to_it()
    {
        var file = Path.Combine(directory, "kernel.img");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = SmpCli.Run(["image", "--out", file], stdout, stderr);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(string.Empty, stdout.ToString());
        var disk = File.ReadAllBytes(file);
        Assert.Equal(0xAA55, disk[510] | (disk[511] << 8));
        Assert.Contains(" T start_kernel\n", File.ReadAllText(file + ".map"));
    }

    [Fact]
    public void An_unwritable_path_is_one_sentence_and_a_usage_error()
    {
        var file = Path.Combine(directory, "no-such-directory", "kernel.img");
        var stderr = new StringWriter();

        var code = SmpCli.Run(["image", "--out", file], new StringWriter(), stderr);

        Assert.Equal(ExitCodes.Usage, code);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Equal($"smp image: --out '{file}' is in a directory that does not exist.", lines[0]);
        Assert.DoesNotContain("   at ", stderr.ToString());
    }
}
