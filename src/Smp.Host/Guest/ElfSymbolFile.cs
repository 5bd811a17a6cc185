using System.Text;

namespace Smp.Host.Guest;

/// <summary>
/// Writes the built-in kernel as a small ELF64 executable for gdb's <c>symbol-file</c> (or <c>file</c>): the code where it
/// runs (boot sector at 0x7C00, trampoline at 0x8000, the loaded image from the setup code on), one PT_LOAD segment and
/// one section each, and every function as an STT_FUNC symbol with its size, so that gdb breaks on names, prints
/// <c>func+off</c> and finds function starts when it walks the frame-pointer chain. Written by hand (System V ABI, ELF-64
/// object file format): three headers and two string tables do not justify a new dependency.
/// </summary>
public static class ElfSymbolFile
{
    private const int HeaderSize = 64, ProgramHeaderSize = 56, SectionHeaderSize = 64, SymbolSize = 24;

    /// <summary>Builds the ELF file of <paramref name="image"/>.</summary>
    /// <param name="image">The kernel (its disk image and symbols).</param>
    /// <returns>The file's bytes.</returns>
    public static byte[] Write(KernelImage image)
    {
        ulong setupOffset = KernelLayout.Setup - KernelLayout.ImageLoad;
        ulong trampolineOffset = KernelLayout.TrampolineImage - KernelLayout.ImageLoad;
        (string Name, ulong Address, byte[] Bytes)[] sections =
        [
            (".bootsect", KernelLayout.BootSector, image.Disk[..512]),
            (".trampoline", KernelLayout.Trampoline, image.Disk[(int)trampolineOffset..(int)(trampolineOffset + KernelLayout.TrampolineSize)]),
            (".text", KernelLayout.Setup, image.Disk[(int)setupOffset..]),
        ];

        // Names the kernel uses twice (the trampoline's startup_32/startup_64) are local symbols, the rest global;
        // locals come first in .symtab (sh_info is the first global).
        var counts = image.Symbols.GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.Count());
        var ordered = image.Symbols.OrderBy(s => counts[s.Name] == 1).ThenBy(s => s.Address).ToList();
        int firstGlobal = 1 + ordered.Count(s => counts[s.Name] > 1);

        var strtab = new StringTable();
        var symtab = new MemoryStream();
        var sym = new BinaryWriter(symtab);
        sym.Write(new byte[SymbolSize]);   // the null symbol
        foreach (var s in ordered)
        {
            int section = Array.FindIndex(sections, x => s.Address >= x.Address && s.Address < x.Address + (ulong)x.Bytes.Length);
            sym.Write(strtab.Add(s.Name));
            sym.Write((byte)(((counts[s.Name] == 1 ? 1 : 0) << 4) | 2));   // STB_GLOBAL or STB_LOCAL, STT_FUNC
            sym.Write((byte)0);
            sym.Write((ushort)(section < 0 ? 0xFFF1 : section + 1));         // SHN_ABS for an address outside the sections
            sym.Write(s.Address);
            sym.Write(s.Size);
        }

        var shstrtab = new StringTable();
        var names = sections.Select(s => shstrtab.Add(s.Name)).ToArray();
        uint symtabName = shstrtab.Add(".symtab"), strtabName = shstrtab.Add(".strtab"), shstrtabName = shstrtab.Add(".shstrtab");

        // Layout: ELF header, program headers, section contents, symtab, strtab, shstrtab, section headers.
        long offset = HeaderSize + (ProgramHeaderSize * sections.Length);
        var contentOffsets = new long[sections.Length];
        for (int i = 0; i < sections.Length; i++)
        {
            contentOffsets[i] = offset;
            offset += sections[i].Bytes.Length;
        }

        offset = Align(offset, 8);
        long symtabOffset = offset;
        long strtabOffset = symtabOffset + symtab.Length;
        long shstrtabOffset = strtabOffset + strtab.Length;
        long sectionHeaders = Align(shstrtabOffset + shstrtab.Length, 8);
        int sectionCount = sections.Length + 4;

        var file = new MemoryStream();
        var w = new BinaryWriter(file);
        w.Write([0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);   // ELFCLASS64, little-endian, version 1
        w.Write((ushort)2);            // ET_EXEC
        w.Write((ushort)62);           // EM_X86_64
        w.Write(1u);                   // EV_CURRENT
        w.Write(KernelLayout.BootSector);
        w.Write((ulong)HeaderSize);    // e_phoff
        w.Write((ulong)sectionHeaders);
        w.Write(0u);                   // e_flags
        w.Write((ushort)HeaderSize);
        w.Write((ushort)ProgramHeaderSize);
        w.Write((ushort)sections.Length);
        w.Write((ushort)SectionHeaderSize);
        w.Write((ushort)sectionCount);
        w.Write((ushort)(sectionCount - 1));   // .shstrtab is last

        for (int i = 0; i < sections.Length; i++)
        {
            w.Write(1u);               // PT_LOAD
            w.Write(7u);               // PF_R | PF_W | PF_X
            w.Write((ulong)contentOffsets[i]);
            w.Write(sections[i].Address);
            w.Write(sections[i].Address);
            w.Write((ulong)sections[i].Bytes.Length);
            w.Write((ulong)sections[i].Bytes.Length);
            w.Write(1UL);
        }

        foreach (var s in sections) w.Write(s.Bytes);
        Pad(w, symtabOffset);
        w.Write(symtab.ToArray());
        w.Write(strtab.ToArray());
        w.Write(shstrtab.ToArray());
        Pad(w, sectionHeaders);

        w.Write(new byte[SectionHeaderSize]);   // the null section
        for (int i = 0; i < sections.Length; i++)
            SectionHeader(w, names[i], 1, 0x7, sections[i].Address, contentOffsets[i], sections[i].Bytes.Length, 0, 0, 1, 0);   // PROGBITS, WAX
        SectionHeader(w, symtabName, 2, 0, 0, symtabOffset, symtab.Length, (uint)sections.Length + 2, (uint)firstGlobal, 8, SymbolSize);
        SectionHeader(w, strtabName, 3, 0, 0, strtabOffset, strtab.Length, 0, 0, 1, 0);
        SectionHeader(w, shstrtabName, 3, 0, 0, shstrtabOffset, shstrtab.Length, 0, 0, 1, 0);
        return file.ToArray();
    }

    private static void SectionHeader(BinaryWriter w, uint name, uint type, ulong flags, ulong address, long offset, long size, uint link, uint info, ulong align, ulong entrySize)
    {
        w.Write(name);
        w.Write(type);
        w.Write(flags);
        w.Write(address);
        w.Write((ulong)offset);
        w.Write((ulong)size);
        w.Write(link);
        w.Write(info);
        w.Write(align);
        w.Write(entrySize);
    }

    private static long Align(long value, int alignment) => (value + alignment - 1) & -alignment;

    private static void Pad(BinaryWriter w, long to)
    {
        while (w.BaseStream.Position < to) w.Write((byte)0);
    }

    // An ELF string table: a leading NUL, then each string NUL-terminated; Add returns the string's offset.
    private sealed class StringTable
    {
        private readonly MemoryStream _bytes = new();

        public StringTable() => _bytes.WriteByte(0);

        public long Length => _bytes.Length;

        public uint Add(string text)
        {
            uint at = (uint)_bytes.Position;
            _bytes.Write(Encoding.UTF8.GetBytes(text));
            _bytes.WriteByte(0);
            return at;
        }

        public byte[] ToArray() => _bytes.ToArray();
    }
}
