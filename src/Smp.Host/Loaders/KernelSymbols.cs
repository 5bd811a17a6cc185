namespace Smp.Host.Loaders;

/// <summary>
/// The symbols of a Linux bzImage for <c>--symbols</c>: its kallsyms read from the decompressed payload, so a
/// distribution kernel can be traced without its debug package. Addresses are the link-time ones: they match the
/// running kernel only when KASLR does not move it (<c>nokaslr</c> on the command line).
/// </summary>
internal static class KernelSymbols
{
    /// <summary>Debian's System.map placeholder line (the real map is in the -dbg package).</summary>
    public const string DebianPlaceholder = "The real System.map is in";

    /// <summary>Whether <paramref name="head"/>, the start of a file, is a bzImage rather than a System.map.</summary>
    public static bool IsBzImage(ReadOnlySpan<byte> head) => LinuxSetupHeader.HasMagic(head);

    /// <summary>The symbols of the bzImage <paramref name="file"/>, as (name, address) pairs.</summary>
    /// <exception cref="KernelLoadException">The file is not a bzImage with a decompressible payload and kallsyms.</exception>
    public static IReadOnlyList<KeyValuePair<string, ulong>> FromBzImage(KernelFile file) =>
        [.. Kallsyms.Read(LinuxPayload.Decompress(file), file.Quoted).Select(s => new KeyValuePair<string, ulong>(s.Name, s.Address))];
}
