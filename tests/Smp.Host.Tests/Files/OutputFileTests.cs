using Smp.Devices.Platform.Firmware;
using Smp.Host.Files;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Files;

public sealed class OutputFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Processes_writing_the_same_path_leave_one_complete_file_and_no_temporary_ones()
    {
        var path = Path.Combine(_dir, "trace.json");
        var contents = Enumerable.Range(0, 8).Select(i => new string((char)('a' + i), 200_000)).ToArray();

        Parallel.ForEach(contents, text => OutputFile.Write(path, stream =>
        {
            // Written in pieces, as the exporters do, so that unsynchronised writers would interleave.
            var bytes = System.Text.Encoding.ASCII.GetBytes(text);
            for (int i = 0; i < bytes.Length; i += 4096) stream.Write(bytes, i, Math.Min(4096, bytes.Length - i));
        }));

        Assert.Contains(File.ReadAllText(path), contents);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_failed_write_keeps_the_old_file_and_leaves_nothing_behind()
    {
        var path = Path.Combine(_dir, "report.json");
        File.WriteAllText(path, "old");

        Assert.Throws<IOException>(() => OutputFile.Write(path, stream =>
        {
            stream.Write("new, half written"u8);
            throw new IOException("disk gone");
        }));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_device_is_written_in_place_and_stays_a_device()
    {
        OutputFile.Write("/dev/null", stream => stream.Write("discarded"u8));

        Assert.Equal(FileKind.CharacterDevice, FileKinds.Of("/dev/null", out _));
    }

    [Fact]
    public void A_pipe_named_through_a_link_is_written_in_place()
    {
        var script = $"{Cli.ShellCommand} run --disk {Cli.Quote(new BootSectors(_dir).Hello())} --trace /dev/stdout | cat; exit ${{PIPESTATUS[0]}}";

        var result = Cli.RunShell(script);

        Assert.Equal((BootSectors.HelloExit << 1) | 1, result.ExitCode);
        Assert.StartsWith("hello\n", result.Out);
        using var trace = System.Text.Json.JsonDocument.Parse(result.Out["hello\n".Length..]);
        Assert.True(trace.RootElement.TryGetProperty("resourceSpans", out _));
    }

    [Fact]
    public void A_symbolic_link_keeps_pointing_at_its_target_which_gets_the_new_contents()
    {
        var target = Path.Combine(_dir, "real.json");
        var link = Path.Combine(_dir, "link.json");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, target);

        OutputFile.Write(link, stream => stream.Write("new"u8));

        Assert.Equal(target, new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(target));
    }

    [Theory]
    [InlineData("/nonexistent-smp-dir/t.json", "is in a directory that does not exist")]
    [InlineData("/etc/passwd/t.json", "is in a directory that does not exist")]
    [InlineData("/tmp", "is a directory")]
    [InlineData("/dev/null", null)]
    [InlineData("/dev/full", null)] // cannot be known before writing: the export fails and exits 14
    public void Problems_are_found_before_anything_is_written(string path, string? problem)
    {
        Assert.Equal(problem, OutputFile.Problem(path));
    }

    [Fact]
    public void Checking_a_path_creates_nothing()
    {
        var path = Path.Combine(_dir, "later.json");

        Assert.Null(OutputFile.Problem(path));

        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }
}
