using System.Text;

namespace Smp.Host.Loaders;

/// <summary>A module (Multiboot) or initrd part given with <c>--initrd</c>.</summary>
/// <param name="File">The file.</param>
/// <param name="CommandLine">The whole list entry, path first and then its arguments (Multiboot's module string, as QEMU passes it).</param>
internal sealed record KernelModule(KernelFile File, string CommandLine)
{
    /// <summary>
    /// Parses <c>--initrd</c>'s value as QEMU does: entries separated by commas (",," is a literal comma), each a path
    /// optionally followed by a space and arguments; reads every file.
    /// </summary>
    /// <param name="value">The option's value, or null/empty for none.</param>
    /// <exception cref="KernelLoadException">An entry is empty or a file cannot be read.</exception>
    public static IReadOnlyList<KernelModule> ReadList(string? value)
    {
        if (string.IsNullOrEmpty(value)) return [];
        var entries = new List<string>();
        var current = new StringBuilder();
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] != ',') { current.Append(value[i]); continue; }
            if (i + 1 < value.Length && value[i + 1] == ',') { current.Append(','); i++; continue; }
            entries.Add(current.ToString());
            current.Clear();
        }

        entries.Add(current.ToString());
        var modules = new List<KernelModule>(entries.Count);
        foreach (string entry in entries)
        {
            int space = entry.IndexOf(' ', StringComparison.Ordinal);
            string path = space < 0 ? entry : entry[..space];
            if (path.Length == 0) throw new KernelLoadException($"--initrd '{value}' has an empty entry; expected FILE[ ARGS][,FILE[ ARGS]...].");
            modules.Add(new KernelModule(KernelFile.Read(path, "--initrd"), entry));
        }

        return modules;
    }
}
