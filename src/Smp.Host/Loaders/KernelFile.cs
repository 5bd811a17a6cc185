namespace Smp.Host.Loaders;

/// <summary>A kernel (or module) file as the user named it, with its contents.</summary>
/// <param name="Path">The path exactly as given on the command line: Multiboot's argv[0] is this string, as QEMU passes it.</param>
/// <param name="Bytes">The file's contents.</param>
internal sealed record KernelFile(string Path, byte[] Bytes)
{
    /// <summary>The path quoted for messages.</summary>
    public string Quoted => $"'{Path}'";

    /// <summary>The largest kernel or initrd file: it is read into one array.</summary>
    public static readonly long MaxBytes = Array.MaxLength;

    /// <summary>
    /// Reads <paramref name="path"/> after the project's one input-file check (a regular file, at most <see cref="MaxBytes"/>);
    /// a file that cannot be read is a <see cref="KernelLoadException"/>.
    /// </summary>
    /// <param name="path">The path as given.</param>
    /// <param name="option">The option that named it ("--kernel", "--initrd").</param>
    public static KernelFile Read(string path, string option)
    {
        var err = new StringWriter();
        if (Files.InputFile.ReadAllBytes(err, "smp run", option, path, MaxBytes) is { } bytes) return new KernelFile(path, bytes);
        string message = err.ToString().Trim();
        throw new KernelLoadException(message.StartsWith("smp run: ", StringComparison.Ordinal) ? message["smp run: ".Length..] : message);
    }
}
