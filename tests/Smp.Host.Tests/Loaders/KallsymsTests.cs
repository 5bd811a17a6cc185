using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Smp.Host.Loaders;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// A bzImage's own symbol table (kallsyms) read from its decompressed payload: what <c>smp run --symbols vmlinuz</c>
/// watches when a distribution ships only a placeholder System.map.
/// </summary>
public sealed class KallsymsTests
{
    private const ulong Text = SyntheticVmlinux.Text;

    // 300 symbols: two markers; one per-CPU (absolute) symbol; one name longer than 127 tokens (a two-byte length).
    private static List<(ulong, char, string)> Symbols()
    {
        var list = new List<(ulong, char, string)>
        {
            (0, 'A', "fixed_percpu_data"),
            (0x6000, 'A', "cpu_debug_store"),
            (Text, 'T', "_text"),
            (Text + 0x70, 'T', "secondary_startup_64"),
            (Text + 0x6C8F0, 't', "start_secondary"),
            (Text + 0xFBDE0, 'T', "cpu_startup_entry"),
            (Text + 0x2079E46, 'T', "start_kernel"),
            (Text + 0x100, 'd', "long_" + new string('x', 200)),
        };
        for (int i = 0; list.Count < 300; i++) list.Add((Text + 0x200000 + ((ulong)i * 16), 't', $"kernel_helper_{i}"));
        return list;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_symbol_comes_back_with_its_address_and_type_sorted_by_address(bool seqsOfNames)
    {
        var symbols = Kallsyms.Read(SyntheticVmlinux.Build(Symbols(), seqsOfNames), "'vmlinux'");

        Assert.Equal(300, symbols.Count);
        Assert.Equal(new KernelSymbolEntry(0, 'A', "fixed_percpu_data"), symbols[0]);
        Assert.Contains(new KernelSymbolEntry(0x6000, 'A', "cpu_debug_store"), symbols);
        Assert.Contains(new KernelSymbolEntry(Text + 0x6C8F0, 't', "start_secondary"), symbols);
        Assert.Contains(new KernelSymbolEntry(Text + 0x2079E46, 'T', "start_kernel"), symbols);
        Assert.Contains(new KernelSymbolEntry(Text + 0x100, 'd', "long_" + new string('x', 200)), symbols);
        Assert.Contains(new KernelSymbolEntry(Text + 0x200000 + (290 * 16), 't', "kernel_helper_290"), symbols);
        Assert.Equal(symbols.OrderBy(s => s.Address).Select(s => s.Address), symbols.Select(s => s.Address));
    }

    [Fact]
    public void A_kernel_without_kallsyms_is_refused_in_one_sentence()
    {
        var image = SyntheticVmlinux.Build(Symbols(), seqsOfNames: false);
        image.AsSpan(0x100).Clear(); // the tables gone, the ELF headers kept

        var ex = Assert.Throws<KernelLoadException>(() => Kallsyms.Read(image, "'vmlinux'"));
        Assert.Equal("the kernel 'vmlinux' carries no kallsyms table (built without CONFIG_KALLSYMS?); pass its System.map instead.", ex.Message);
    }

    [Fact]
    public void A_gzip_bzImage_gives_its_symbols_for_watching()
    {
        var bzImage = WithPayload(Gzip(SyntheticVmlinux.Build(Symbols(), seqsOfNames: true)));

        var symbols = KernelSymbols.FromBzImage(new KernelFile("bzImage", bzImage));

        Assert.Contains(new KeyValuePair<string, ulong>("start_kernel", Text + 0x2079E46), symbols);
        Assert.Contains(new KeyValuePair<string, ulong>("cpu_startup_entry", Text + 0xFBDE0), symbols);
    }

    [Fact]
    public void An_xz_bzImage_as_Debian_builds_it_is_decompressed_with_xz()
    {
        var vmlinux = SyntheticVmlinux.Build(Symbols(), seqsOfNames: true);
        // The kernel's own xz options (scripts/xz_wrap.sh): the x86 BCJ filter, LZMA2, CRC32.
        var bzImage = WithPayload(Tool("xz", "--format=xz --check=crc32 --x86 --lzma2=dict=32MiB -c", vmlinux));

        Assert.Equal(vmlinux, LinuxPayload.Decompress(new KernelFile("bzImage", bzImage)));
    }

    [Fact]
    public void A_payload_in_an_unknown_format_is_named_by_its_first_bytes()
    {
        var bzImage = WithPayload([0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8]);

        var ex = Assert.Throws<KernelLoadException>(() => LinuxPayload.Decompress(new KernelFile("bzImage", bzImage)));
        Assert.Equal("the bzImage 'bzImage' has a payload compressed in an unknown format (first bytes DEADBEEF).", ex.Message);
    }

    // A bzImage of protocol 2.15 whose payload (followed by its decompressed size, as the kernel's build appends it)
    // starts 0x40 bytes into the protected-mode code.
    private static byte[] WithPayload(byte[] payload)
    {
        var image = SyntheticBzImage.Build(kernelBytes: 0x40 + payload.Length + 4);
        int setupSize = (image[0x1F1] + 1) * 512;
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x248), 0x40);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x24C), (uint)payload.Length + 4);
        payload.CopyTo(image, setupSize + 0x40);
        return image;
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] Tool(string tool, string arguments, byte[] input)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        var feed = Task.Run(() =>
        {
            process.StandardInput.BaseStream.Write(input);
            process.StandardInput.Close();
        });
        var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        feed.Wait();
        Assert.Equal(0, process.ExitCode);
        return output.ToArray();
    }
}
