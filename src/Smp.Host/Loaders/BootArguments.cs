using Smp.Devices.Platform;

namespace Smp.Host.Loaders;

/// <summary>What a kernel is booted with besides itself.</summary>
/// <param name="CommandLine">The <c>--append</c> text (empty when none).</param>
/// <param name="Modules">The <c>--initrd</c> files, in order.</param>
/// <param name="Map">The machine's memory map (what the BIOS will report), to check that everything fits.</param>
internal sealed record BootArguments(string CommandLine, IReadOnlyList<KernelModule> Modules, MemoryMap Map)
{
    /// <summary>The free RAM of <see cref="Map"/>.</summary>
    public LoadArea Area { get; } = new(Map);
}
