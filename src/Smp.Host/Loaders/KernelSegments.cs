using Smp.Devices.Memory;

namespace Smp.Host.Loaders;

/// <summary>
/// Where a Multiboot kernel's bytes go: its ELF PT_LOAD segments by physical address (GRUB's rule: an entry point inside a
/// segment's virtual range is translated to its physical address) or the a.out kludge's single image (Multiboot spec
/// 3.1.3). Validated against the free RAM when built; written to guest memory at boot.
/// </summary>
internal sealed class KernelSegments
{
    private const int ZeroChunk = 64 * 1024;
    private readonly KernelFile _file;

    private KernelSegments(KernelFile file, IReadOnlyList<LoadSegment> segments, uint entry, string format)
    {
        _file = file;
        Segments = segments;
        Entry = entry;
        Format = format;
        Low = segments.Min(s => s.Address);
        High = segments.Max(s => s.End);
    }

    /// <summary>The pieces to load.</summary>
    public IReadOnlyList<LoadSegment> Segments { get; }

    /// <summary>The physical entry point.</summary>
    public uint Entry { get; }

    /// <summary>"ELF32", "ELF64" or "a.out-kludge".</summary>
    public string Format { get; }

    /// <summary>The lowest load address.</summary>
    public ulong Low { get; }

    /// <summary>The first address past the highest segment (bss included).</summary>
    public ulong High { get; }

    /// <summary>The ELF program headers' PT_LOAD segments of <paramref name="elf"/>, checked against <paramref name="area"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="elf">Its ELF view.</param>
    /// <param name="subject">What the file is, for messages.</param>
    /// <param name="area">The free RAM.</param>
    /// <param name="entryOverride">An entry point that replaces e_entry (Multiboot2's entry address tag), or null.</param>
    public static KernelSegments FromElf(KernelFile file, ElfFile elf, string subject, LoadArea area, uint? entryOverride = null)
    {
        var segments = new List<LoadSegment>();
        ulong entry = entryOverride ?? elf.Entry;
        foreach (var s in elf.Loads)
        {
            string name = $"ELF program header {s.Index}";
            if (s.PhysicalAddress >= 1UL << 32 || s.MemorySize > (1UL << 32) - s.PhysicalAddress)
                throw new KernelLoadException($"{subject} has {name} at physical 0x{s.PhysicalAddress:X} (0x{s.MemorySize:X} bytes), above 4 GiB; expected a 32-bit physical load address.");
            area.Require(s.PhysicalAddress, s.MemorySize, subject, name);
            if (entryOverride is null && entry >= s.VirtualAddress && entry - s.VirtualAddress < s.MemorySize) entry = s.PhysicalAddress + (entry - s.VirtualAddress);
            segments.Add(new LoadSegment(name, s.PhysicalAddress, (long)s.FileOffset, (long)s.FileSize, s.MemorySize));
        }

        return Checked(new KernelSegments(file, segments, (uint)Math.Min(entry, uint.MaxValue), elf.ClassName), entry, subject);
    }

    /// <summary>The a.out kludge's image (Multiboot spec 3.1.3 address fields), checked against <paramref name="area"/>.</summary>
    public static KernelSegments FromAoutKludge(KernelFile file, int headerOffset, uint headerAddr, uint loadAddr, uint loadEndAddr, uint bssEndAddr,
        uint entryAddr, string subject, LoadArea area)
    {
        string fields = $"header_addr 0x{headerAddr:X}, load_addr 0x{loadAddr:X}, load_end_addr 0x{loadEndAddr:X}, bss_end_addr 0x{bssEndAddr:X}";
        if (headerAddr < loadAddr || headerAddr - loadAddr > (uint)headerOffset)
            throw new KernelLoadException($"{subject} has inconsistent a.out kludge addresses ({fields}) for a header at file offset 0x{headerOffset:X}; expected load_addr ≤ header_addr ≤ load_addr + 0x{headerOffset:X}.");
        long textOffset = headerOffset - (headerAddr - loadAddr);
        long loadSize;
        if (loadEndAddr != 0)
        {
            if (loadEndAddr < loadAddr) throw new KernelLoadException($"{subject} has load_end_addr below load_addr ({fields}).");
            loadSize = loadEndAddr - loadAddr;
            if (textOffset + loadSize > file.Bytes.Length)
                throw new KernelLoadException($"{subject} is truncated: its a.out kludge loads 0x{loadSize:X} bytes from file offset 0x{textOffset:X} ({fields}), past the file's end at 0x{file.Bytes.Length:X}.");
        }
        else
        {
            loadSize = file.Bytes.Length - textOffset;
        }

        ulong memorySize = (ulong)loadSize;
        if (bssEndAddr != 0)
        {
            if (bssEndAddr < loadAddr + (ulong)loadSize) throw new KernelLoadException($"{subject} has bss_end_addr below the end of its loaded image ({fields}).");
            memorySize = bssEndAddr - loadAddr;
        }

        area.Require(loadAddr, memorySize, subject, "its a.out kludge image");
        var segment = new LoadSegment("the a.out kludge image", loadAddr, textOffset, loadSize, memorySize);
        return Checked(new KernelSegments(file, [segment], entryAddr, "a.out-kludge"), entryAddr, subject);
    }

    /// <summary>Copies the segments into RAM and zeroes their bss.</summary>
    public void WriteTo(PhysicalMemory memory)
    {
        byte[] zeros = new byte[ZeroChunk];
        foreach (var s in Segments)
        {
            memory.Load(s.Address, _file.Bytes.AsSpan((int)s.FileOffset, (int)s.FileSize));
            for (ulong at = s.Address + (ulong)s.FileSize; at < s.End; at += ZeroChunk)
                memory.Load(at, zeros.AsSpan(0, (int)Math.Min(ZeroChunk, s.End - at)));
        }
    }

    private static KernelSegments Checked(KernelSegments layout, ulong entry, string subject)
    {
        foreach (var s in layout.Segments)
            if (entry >= s.Address && entry < s.End) return layout;
        throw new KernelLoadException($"{subject} has its entry point 0x{entry:X} outside every loaded segment ({string.Join(", ", layout.Segments.Select(s => $"0x{s.Address:X}–0x{s.End - 1:X}"))}); expected it inside the code it loads.");
    }
}
