using Smp.Devices.Platform;

namespace Smp.Host.Loaders;

/// <summary>
/// Where a loader may put a kernel, its modules and its boot information: the machine's E820 RAM below 4 GiB, less the
/// IVT, the BIOS data area and the BIOS's stack below 0x7000 (in use while the kernel is placed: the kernel-boot trap's
/// frame sits just below 0x7000), and less the EBDA, VGA window and ROM (0x9FC00–0xFFFFF) and the ACPI tables.
/// </summary>
internal sealed class LoadArea
{
    /// <summary>The first byte a kernel may occupy.</summary>
    public const ulong LowLimit = 0x7000;

    private readonly MemoryMap _map;

    /// <summary>The free ranges of <paramref name="map"/>.</summary>
    public LoadArea(MemoryMap map)
    {
        _map = map;
        var ranges = new List<(ulong Start, ulong End)>();
        foreach (var e in map.E820)
        {
            if (e.Type != E820Type.Ram || e.Base >= MemoryMap.FourGiB) continue;
            ulong start = Math.Max(e.Base, LowLimit), end = Math.Min(e.End, MemoryMap.FourGiB);
            if (start < end) ranges.Add((start, end));
        }

        Ranges = ranges;
    }

    /// <summary>The free ranges, [Start, End), in address order.</summary>
    public IReadOnlyList<(ulong Start, ulong End)> Ranges { get; }

    /// <summary>The end of the free range that holds <paramref name="address"/>, or 0 if none does.</summary>
    public ulong EndOfRangeAt(ulong address)
    {
        foreach (var (start, end) in Ranges)
            if (address >= start && address < end) return end;
        return 0;
    }

    /// <summary>True when [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) lies inside one free range.</summary>
    public bool Contains(ulong start, ulong length)
    {
        foreach (var (s, e) in Ranges)
            if (start >= s && length <= e - s && start - s <= e - s - length) return true;
        return false;
    }

    /// <summary>Checks that a piece of the boot fits; otherwise one sentence naming what it overlaps or exceeds.</summary>
    /// <param name="start">The first byte.</param>
    /// <param name="length">The length in bytes (at least 1).</param>
    /// <param name="subject">What the file is, for example "the Multiboot v1 ELF32 kernel 'k.elf'".</param>
    /// <param name="piece">Which part, for example "segment 2".</param>
    /// <exception cref="KernelLoadException">The piece does not fit.</exception>
    public void Require(ulong start, ulong length, string subject, string piece)
    {
        if (length == 0 || Contains(start, length)) return;
        ulong last = start + length - 1 < start ? ulong.MaxValue : start + length - 1;
        string problem;
        if (start < LowLimit)
            problem = $"overlaps 0x0–0x{LowLimit - 1:X} (the IVT, the BIOS data area and the BIOS's stack)";
        else if (start < MemoryMap.HighMemoryBase && last >= MemoryMap.EbdaBase)
            problem = $"overlaps the BIOS area 0x{MemoryMap.EbdaBase:X}–0x{MemoryMap.HighMemoryBase - 1:X} (EBDA, VGA window and ROM)";
        else if (last >= _map.RamBelow4G || start >= MemoryMap.FourGiB)
            problem = $"exceeds the machine's {_map.RamSize >> 20} MiB of RAM (give more --memory)";
        else
            problem = $"overlaps the ACPI tables at 0x{_map.AcpiBase:X}–0x{_map.RamBelow4G - 1:X}";
        throw new KernelLoadException($"{subject} has {piece} at 0x{start:X}–0x{last:X}, which {problem}; expected it in free RAM ({Describe()}).");
    }

    /// <summary>The free ranges for messages: "0x10000–0x9FBFF, 0x100000–0x7FEFFFF".</summary>
    public string Describe() => string.Join(", ", Ranges.Select(r => $"0x{r.Start:X}–0x{r.End - 1:X}"));
}
