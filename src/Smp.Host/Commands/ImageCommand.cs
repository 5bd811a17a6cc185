using System.CommandLine;
using Smp.Host.Files;
using Smp.Host.Guest;

namespace Smp.Host.Commands;

/// <summary>
/// <c>smp image</c>: writes the built-in kernel as a raw disk image, its System.map and an ELF symbol file for gdb next
/// to it, or (<c>--initramfs</c>) the test initramfs that Linux kernels boot with <c>smp run --kernel vmlinuz --initrd FILE</c>.
/// </summary>
internal static class ImageCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var output = new Option<FileInfo>("--out")
        {
            Description = "The image file to write (overwritten if it exists); the symbol table goes to FILE.map, and an ELF file with " +
                "the code and its symbols to FILE.elf (gdb: 'symbol-file FILE.elf').",
            HelpName = "FILE",
            Required = true,
        };
        var initramfs = new Option<bool>("--initramfs")
        {
            Description = "Write the test initramfs instead (a newc cpio with /dev/console and an Iced-assembled static /init that prints " +
                "its name and the number of online CPUs, then powers the machine off): the --initrd for a Linux kernel.",
        };
        var command = new Command(
            "image",
            "Write the built-in kernel as a raw disk image that boots unchanged under smp run and QEMU (a System.map and an ELF symbol " +
            "file for gdb go next to it), or with --initramfs the test initramfs for Linux kernels.")
        {
            output,
            initramfs,
        };
        command.SetAction(result => context.Guard("smp image", () => result.GetValue(initramfs)
            ? WriteInitramfs(context, result.GetValue(output)!)
            : Write(context, result.GetValue(output)!)));
        return command;
    }

    /// <summary>Builds the kernel and writes FILE, FILE.map and FILE.elf.</summary>
    /// <param name="context">Where to report.</param>
    /// <param name="file">The image path.</param>
    /// <returns>The exit code: 0, or <see cref="ExitCodes.Usage"/> when the file cannot be written.</returns>
    internal static int Write(CliContext context, FileInfo file)
    {
        var map = file.FullName + ".map";
        var elf = file.FullName + ".elf";
        foreach (var (option, path) in new[] { ("--out", file.FullName), ("--out FILE.map", map), ("--out FILE.elf", elf) })
        {
            if (OutputFile.Problem(path) is { } problem)
            {
                context.Err.WriteLine($"smp image: {option} '{path}' {problem}.");
                return ExitCodes.Usage;
            }
        }

        var image = KernelImage.Build();
        var current = file.FullName;
        try
        {
            OutputFile.Write(current, stream => stream.Write(image.Disk));
            current = map;
            OutputFile.Write(current, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(image.SystemMap())));
            current = elf;
            OutputFile.Write(current, stream => stream.Write(ElfSymbolFile.Write(image)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Err.WriteLine($"smp image: cannot write '{current}': {FileError.Reason(ex, current)}.");
            return ExitCodes.Usage;
        }

        context.Err.WriteLine(
            $"smp image: wrote {file.FullName} ({image.Disk.Length} bytes, {image.Disk.Length / 512} sectors), {map} ({image.Symbols.Count} symbols) " +
            $"and {elf} (for gdb's symbol-file).");
        return ExitCodes.Ok;
    }

    /// <summary>Writes the test initramfs (<see cref="Guest.Initramfs.TestInitramfs"/>) to FILE.</summary>
    /// <param name="context">Where to report.</param>
    /// <param name="file">The archive path.</param>
    /// <returns>The exit code: 0, or <see cref="ExitCodes.Usage"/> when the file cannot be written.</returns>
    internal static int WriteInitramfs(CliContext context, FileInfo file)
    {
        if (OutputFile.Problem(file.FullName) is { } problem)
        {
            context.Err.WriteLine($"smp image: --out '{file.FullName}' {problem}.");
            return ExitCodes.Usage;
        }

        var archive = Guest.Initramfs.TestInitramfs.Build();
        try
        {
            OutputFile.Write(file.FullName, stream => stream.Write(archive));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Err.WriteLine($"smp image: cannot write '{file.FullName}': {FileError.Reason(ex, file.FullName)}.");
            return ExitCodes.Usage;
        }

        context.Err.WriteLine($"smp image: wrote {file.FullName} (the test initramfs, {archive.Length} bytes).");
        return ExitCodes.Ok;
    }
}
