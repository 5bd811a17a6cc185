namespace Smp.Host.Loaders;

/// <summary>
/// Where the <c>--initrd</c> modules of a Multiboot kernel go: one after the other from a page-aligned start (QEMU puts
/// them after the kernel and its module list), each page-aligned (Multiboot flag 0 asks for it; every module gets it).
/// </summary>
internal static class ModulePlacement
{
    /// <summary>The page size modules are aligned to.</summary>
    public const ulong PageSize = 4096;

    /// <summary>Rounds up to a page boundary.</summary>
    public static ulong AlignUp(ulong value, ulong alignment = PageSize) => (value + alignment - 1) & ~(alignment - 1);

    /// <summary>The start address of each module, checked against the free RAM; the end of the last in <paramref name="end"/>.</summary>
    /// <param name="modules">The modules.</param>
    /// <param name="start">The first candidate address (page-aligned here).</param>
    /// <param name="area">The free RAM.</param>
    /// <param name="end">The first address past the last module (<paramref name="start"/> when there are none).</param>
    /// <exception cref="KernelLoadException">A module does not fit.</exception>
    public static ulong[] Place(IReadOnlyList<KernelModule> modules, ulong start, LoadArea area, out ulong end)
    {
        var addresses = new ulong[modules.Count];
        ulong at = AlignUp(start);
        for (int i = 0; i < modules.Count; i++)
        {
            var file = modules[i].File;
            area.Require(at, Math.Max(1, (ulong)file.Bytes.Length), $"the Multiboot module {file.Quoted} ({file.Bytes.Length} bytes)", "its place after the kernel");
            addresses[i] = at;
            at = AlignUp(at + (ulong)file.Bytes.Length);
        }

        end = modules.Count == 0 ? start : at;
        return addresses;
    }
}
