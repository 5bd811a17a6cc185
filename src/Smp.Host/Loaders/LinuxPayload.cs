using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;

namespace Smp.Host.Loaders;

/// <summary>
/// The compressed kernel inside a bzImage (boot.rst: payload_offset at 0x248 and payload_length at 0x24C, protocol
/// 2.08+, relative to the protected-mode code), decompressed to the vmlinux ELF file the kernel's own decompressor
/// would write: the only place a bzImage carries its symbols (kallsyms), which Debian's placeholder System.map lacks.
/// </summary>
internal static class LinuxPayload
{
    private const int PayloadOffsetOffset = 0x248, PayloadLengthOffset = 0x24C;

    // Compressors a kernel may be built with (CONFIG_KERNEL_*), by their magic bytes; gzip is decompressed in process,
    // the rest by their standard command-line tools (no kept .NET library decodes the kernel's xz with its BCJ filter:
    // SharpCompress rejects it), which read the stream on stdin and write the raw image on stdout.
    private static readonly (byte[] Magic, string Name, string Tool, string Arguments)[] Formats =
    [
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", "xz", "-dc"),
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd", "zstd", "-dcq"),
        ([0x42, 0x5A, 0x68], "bzip2", "bzip2", "-dc"),
        ([0x5D, 0x00, 0x00], "lzma", "xz", "-dc --format=lzma"),
        ([0x02, 0x21, 0x4C, 0x18], "lz4", "lz4", "-dc"),
        ([0x89, 0x4C, 0x5A, 0x4F], "lzo", "lzop", "-dc"),
    ];

    /// <summary>Decompresses the payload of <paramref name="file"/>, a bzImage.</summary>
    /// <param name="file">The kernel file.</param>
    /// <returns>The vmlinux image.</returns>
    /// <exception cref="KernelLoadException">The file is not a bzImage of protocol 2.08+, or its payload cannot be decompressed.</exception>
    public static byte[] Decompress(KernelFile file)
    {
        byte[] b = file.Bytes;
        if (!LinuxSetupHeader.HasMagic(b)) throw new KernelLoadException($"{file.Quoted} is not a Linux bzImage (no \"HdrS\" at 0x202) but {FileContents.Describe(b)}.");
        var header = LinuxSetupHeader.Read(b);
        if (header.Version < 0x208 || b.Length < PayloadLengthOffset + 4)
            throw new KernelLoadException($"the bzImage {file.Quoted} uses boot protocol {header.VersionText}; its payload is described from 2.08 on.");
        long start = header.SetupSize + (long)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(PayloadOffsetOffset));
        long length = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(PayloadLengthOffset));
        if (start + length > b.Length || length < 8)
            throw new KernelLoadException($"the bzImage {file.Quoted} is truncated: its payload of {length} bytes at 0x{start:X} runs past the file's end at 0x{b.Length:X}.");
        // The payload ends with the image's size as a 32-bit word (the decompressor's "output_len"), not part of the stream.
        var payload = new ReadOnlyMemory<byte>(b, (int)start, (int)length - 4);
        var span = payload.Span;
        if (span[0] == 0x1F && span[1] == 0x8B)
        {
            using var gzip = new GZipStream(new MemoryStream(b, (int)start, (int)length - 4), CompressionMode.Decompress);
            var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }

        foreach (var (magic, name, tool, arguments) in Formats)
            if (span.StartsWith(magic)) return RunTool(file, payload, name, tool, arguments);
        throw new KernelLoadException($"the bzImage {file.Quoted} has a payload compressed in an unknown format (first bytes {Convert.ToHexString(span[..4])}).");
    }

    private static byte[] RunTool(KernelFile file, ReadOnlyMemory<byte> payload, string name, string tool, string arguments)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo(tool, arguments)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            }) ?? throw new KernelLoadException($"'{tool}' could not be started to decompress the {name} payload of {file.Quoted}.");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new KernelLoadException($"the bzImage {file.Quoted} is {name}-compressed and '{tool}' is not installed (apt-get install {PackageOf(tool)}) to decompress it.");
        }

        using (process)
        {
            // Feed stdin on its own task: the tool writes its output while it reads, and both pipes must drain.
            var feed = Task.Run(() =>
            {
                try
                {
                    process.StandardInput.BaseStream.Write(payload.Span);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The tool stopped reading (bad data): its exit code and stderr tell why.
                }
            });
            var errors = process.StandardError.ReadToEndAsync();
            var output = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(output);
            process.WaitForExit();
            feed.Wait();
            if (process.ExitCode != 0 || output.Length == 0)
                throw new KernelLoadException($"'{tool} {arguments}' could not decompress the {name} payload of {file.Quoted}: {errors.Result.Trim()}");
            return output.ToArray();
        }
    }

    private static string PackageOf(string tool) => tool switch
    {
        "xz" => "xz-utils",
        "lzop" => "lzop",
        _ => tool,
    };
}
