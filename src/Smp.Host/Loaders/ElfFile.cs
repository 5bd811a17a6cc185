using System.Buffers.Binary;

namespace Smp.Host.Loaders;

/// <summary>
/// The load view of an ELF32 or ELF64 little-endian file: its header and PT_LOAD program headers (System V ABI,
/// "ELF Header" and "Program Header"). Written by hand: a boot loader needs only these two tables, none of the
/// project's libraries reads ELF, and every malformation (a truncated file above all) must become one sentence.
/// </summary>
internal sealed class ElfFile
{
    private const uint PtLoad = 1;
    private const int Elf32HeaderSize = 52, Elf64HeaderSize = 64, Elf32PhdrSize = 32, Elf64PhdrSize = 56;

    private ElfFile(bool is64, ushort machine, ulong entry, IReadOnlyList<ElfSegment> loads)
    {
        Is64 = is64;
        Machine = machine;
        Entry = entry;
        Loads = loads;
    }

    /// <summary>True for ELFCLASS64.</summary>
    public bool Is64 { get; }

    /// <summary>e_machine (3 = i386, 62 = x86-64).</summary>
    public ushort Machine { get; }

    /// <summary>e_entry.</summary>
    public ulong Entry { get; }

    /// <summary>The PT_LOAD segments with a non-zero memory size, in program header order.</summary>
    public IReadOnlyList<ElfSegment> Loads { get; }

    /// <summary>"ELF32" or "ELF64".</summary>
    public string ClassName => Is64 ? "ELF64" : "ELF32";

    /// <summary>True when the file starts with the ELF magic 7F 'E' 'L' 'F'.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.Length >= 4 && bytes[0] == 0x7F && bytes[1] == (byte)'E' && bytes[2] == (byte)'L' && bytes[3] == (byte)'F';

    /// <summary>"an ELF64 x86-64 executable" and the like; assumes <see cref="HasMagic"/>.</summary>
    public static string Describe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 20) return $"a truncated ELF file ({bytes.Length} bytes, shorter than an ELF header)";
        string cls = bytes[4] switch { 1 => "ELF32", 2 => "ELF64", _ => "ELF (unknown class)" };
        string endian = bytes[5] == 2 ? " big-endian" : string.Empty;
        ushort type = bytes[5] == 2 ? BinaryPrimitives.ReadUInt16BigEndian(bytes[16..]) : BinaryPrimitives.ReadUInt16LittleEndian(bytes[16..]);
        ushort machine = bytes[5] == 2 ? BinaryPrimitives.ReadUInt16BigEndian(bytes[18..]) : BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
        string kind = type switch { 1 => "relocatable object", 2 => "executable", 3 => "shared object", 4 => "core dump", _ => "file" };
        return $"an {cls}{endian} {MachineName(machine)} {kind}";
    }

    /// <summary>Reads the header and program headers of <paramref name="file"/>.</summary>
    /// <param name="file">The file.</param>
    /// <param name="what">What the file was taken to be, for messages ("Multiboot v1 kernel").</param>
    /// <exception cref="KernelLoadException">The file is not a little-endian ELF32/ELF64 file or is truncated.</exception>
    public static ElfFile Parse(KernelFile file, string what)
    {
        ReadOnlySpan<byte> b = file.Bytes;
        if (!HasMagic(b)) throw new KernelLoadException($"the {what} {file.Quoted} is not an ELF file but {FileContents.Describe(b)}.");
        if (b.Length < 6 || b[4] is not (1 or 2) || b[5] != 1)
            throw new KernelLoadException($"the {what} {file.Quoted} is {Describe(b)}; expected a little-endian ELF32 or ELF64 file.");
        bool is64 = b[4] == 2;
        int headerSize = is64 ? Elf64HeaderSize : Elf32HeaderSize;
        if (b.Length < headerSize)
            throw new KernelLoadException($"the {what} {file.Quoted} is a truncated {(is64 ? "ELF64" : "ELF32")} file: {b.Length} bytes, shorter than its {headerSize}-byte ELF header.");
        ushort machine = U16(b, 18);
        ulong entry = is64 ? U64(b, 24) : U32(b, 24);
        ulong phoff = is64 ? U64(b, 32) : U32(b, 28);
        int phentsize = U16(b, is64 ? 54 : 42);
        int phnum = U16(b, is64 ? 56 : 44);
        int minimum = is64 ? Elf64PhdrSize : Elf32PhdrSize;
        string cls = is64 ? "ELF64" : "ELF32";
        if (phnum == 0) throw new KernelLoadException($"the {what} {file.Quoted} is {Describe(b)} without program headers; expected PT_LOAD segments to load.");
        if (phentsize < minimum) throw new KernelLoadException($"the {what} {file.Quoted} is an {cls} file whose program headers are {phentsize} bytes; expected at least {minimum}.");
        ulong tableEnd = phoff + ((ulong)phnum * (ulong)phentsize);
        if (phoff > (ulong)b.Length || tableEnd > (ulong)b.Length)
            throw new KernelLoadException($"the {what} {file.Quoted} is a truncated {cls} file: its {phnum} program headers at offset 0x{phoff:X} end at 0x{tableEnd:X}, past the file's end at 0x{b.Length:X}.");

        var loads = new List<ElfSegment>();
        for (int i = 0; i < phnum; i++)
        {
            int p = checked((int)phoff + (i * phentsize));
            if (U32(b, p) != PtLoad) continue;
            var segment = is64
                ? new ElfSegment(i, U64(b, p + 16), U64(b, p + 24), U64(b, p + 8), U64(b, p + 32), U64(b, p + 40))
                : new ElfSegment(i, U32(b, p + 8), U32(b, p + 12), U32(b, p + 4), U32(b, p + 16), U32(b, p + 20));
            if (segment.FileSize > segment.MemorySize)
                throw new KernelLoadException($"the {what} {file.Quoted} is a malformed {cls} file: program header {i} has p_filesz 0x{segment.FileSize:X} larger than p_memsz 0x{segment.MemorySize:X}.");
            if (segment.FileOffset > (ulong)b.Length || segment.FileSize > (ulong)b.Length - segment.FileOffset)
                throw new KernelLoadException($"the {what} {file.Quoted} is a truncated {cls} file: program header {i}'s 0x{segment.FileSize:X} bytes at offset 0x{segment.FileOffset:X} run past the file's end at 0x{b.Length:X}.");
            if (segment.MemorySize > 0) loads.Add(segment);
        }

        if (loads.Count == 0) throw new KernelLoadException($"the {what} {file.Quoted} is {Describe(b)} with no PT_LOAD segment; expected at least one to load.");
        return new ElfFile(is64, machine, entry, loads);
    }

    private static string MachineName(ushort machine) => machine switch
    {
        3 => "i386",
        62 => "x86-64",
        40 => "ARM",
        183 => "AArch64",
        243 => "RISC-V",
        8 => "MIPS",
        20 => "PowerPC",
        21 => "PowerPC64",
        _ => $"machine-{machine}",
    };

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);

    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
