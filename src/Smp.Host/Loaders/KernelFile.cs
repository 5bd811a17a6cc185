namespace Smp.Host.Loaders;

/// <summary>A kernel (or module) file as the user named it, with its contents.</summary>
/// <param name="Path">The path exactly as given on the command line: Multiboot's argv[0] is this string, as QEMU passes it.</param>
/// <param name="Bytes">The file's contents.</param>
internal sealed record KernelFile(string Path, byte[] Bytes)
{
    /// <summary>The path quoted for messages.</summary>
    public string Quoted => $"'{Path}'";

    /// <summary>Reads <paramref name="path"/>; a file that cannot be read is a <see cref="KernelLoadException"/>.</summary>
    /// <param name="path">The path as given.</param>
    /// <param name="role">What the file is for, for the message ("kernel", "initrd").</param>
    public static KernelFile Read(string path, string role)
    {
        try
        {
            return new KernelFile(path, File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new KernelLoadException($"cannot read the {role} '{path}': {ex.Message.TrimEnd('.')}.");
        }
    }
}
