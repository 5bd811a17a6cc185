using System.Buffers.Binary;
using System.Text;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Loaders;

/// <summary>
/// A Multiboot v1 kernel (Multiboot spec 0.6.96) placed as QEMU's <c>-kernel</c> places it: the kernel from its ELF
/// program headers or a.out kludge; the memory map (from the BIOS's E820 list, 24-byte entries with the size field)
/// at 0x9000 and the information structure at 0x9500; after the kernel, page-aligned, the module list, the command
/// lines ("PATH APPEND": argv[0] is the kernel path as given) and the boot loader's name, then each module page-aligned.
/// A kernel that is not entirely above 0x9558 (kvm-unit-tests' realmode.flat loads at 0x8000) gets the map and the
/// structure after its command lines instead: QEMU copies the kernel over them there.
/// Flags: memory, boot device (0x8000FFFF: BIOS drive 80h, no partition), command line, modules, memory map, boot
/// loader name — what QEMU passes. Entered in 32-bit protected mode with EAX = 0x2BADB002 and EBX = the information.
/// </summary>
internal sealed class MultibootV1Kernel : IKernelImage
{
    /// <summary>Where the memory map goes (QEMU's MULTIBOOT_STRUCT_ADDR).</summary>
    public const uint MmapAddress = 0x9000;

    /// <summary>Where the information structure goes (QEMU: the map + 0x500).</summary>
    public const uint InfoAddress = 0x9500;

    /// <summary>The boot_device field: BIOS drive 80h, partitions unused (QEMU's value).</summary>
    public const uint BootDevice = 0x8000_FFFF;

    /// <summary>The boot_loader_name string.</summary>
    public const string BootloaderName = "smp";

    /// <summary>Flags the information carries: mem_*, boot_device, cmdline, mods, mmap, boot_loader_name.</summary>
    public const uint InfoFlags = FlagMemory | FlagBootDevice | FlagCmdline | FlagModules | FlagMmap | FlagBootloaderName;

    private const uint FlagMemory = 1 << 0, FlagBootDevice = 1 << 1, FlagCmdline = 1 << 2, FlagModules = 1 << 3, FlagMmap = 1 << 6, FlagBootloaderName = 1 << 9;
    private const int InfoSize = 88, ModuleEntrySize = 16, MmapEntrySize = 24, MmapLimit = 0x500;

    private readonly KernelSegments _layout;
    private readonly IReadOnlyList<KernelModule> _modules;
    private readonly ulong[] _moduleAddresses;
    private readonly byte[] _commandLine;
    private readonly uint _infoArea, _mmapAddress, _infoAddress;

    private MultibootV1Kernel(KernelFile file, KernelSegments layout, BootArguments arguments)
    {
        _layout = layout;
        _modules = arguments.Modules;
        Description = $"Multiboot v1 {layout.Format} kernel {file.Quoted}";
        // QEMU: "%s %s" of the kernel path and -append, so argv[0] is the path and a space always follows it.
        _commandLine = Encoding.UTF8.GetBytes($"{file.Path} {arguments.CommandLine}\0");
        _infoArea = (uint)(layout.Low + ModulePlacement.AlignUp(layout.High - layout.Low));
        ulong infoSize = (ulong)(_modules.Count * ModuleEntrySize) + (ulong)_commandLine.Length + (ulong)BootloaderName.Length + 1
            + (ulong)_modules.Sum(m => Encoding.UTF8.GetByteCount(m.CommandLine) + 1);
        (_mmapAddress, _infoAddress) = (MmapAddress, InfoAddress);
        if (layout.Low < InfoAddress + InfoSize)
        {
            _mmapAddress = _infoArea + (uint)ModulePlacement.AlignUp(infoSize, 8);
            _infoAddress = _mmapAddress + MmapLimit;
            infoSize = _infoAddress + InfoSize - _infoArea;
        }

        arguments.Area.Require(_infoArea, infoSize, Description, "its module list, command lines and boot information after the kernel");
        _moduleAddresses = ModulePlacement.Place(_modules, _infoArea + infoSize, arguments.Area, out _);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Builds the kernel from a header found in <paramref name="file"/>; every problem is one sentence.</summary>
    public static MultibootV1Kernel Create(KernelFile file, MultibootV1Header header, BootArguments arguments)
    {
        string subject = $"the Multiboot v1 kernel {file.Quoted}";
        uint unknown = header.Flags & 0xFFFF & ~MultibootV1Header.UnderstoodRequiredFlags;
        if (unknown != 0)
            throw new KernelLoadException($"{subject} requires features this loader does not know (header flags 0x{header.Flags:X8}, required bits 0x{unknown:X}); expected only bits 0–2 of the low 16.");
        KernelSegments layout;
        if (header.AoutKludge)
        {
            layout = KernelSegments.FromAoutKludge(file, header.Offset, header.HeaderAddr, header.LoadAddr, header.LoadEndAddr, header.BssEndAddr, header.EntryAddr,
                $"the Multiboot v1 a.out-kludge kernel {file.Quoted}", arguments.Area);
        }
        else
        {
            if (!ElfFile.HasMagic(file.Bytes))
                throw new KernelLoadException($"{subject} is {FileContents.Describe(file.Bytes)} without the a.out kludge (header flag 16); expected an ELF file or the kludge's load addresses.");
            var elf = ElfFile.Parse(file, "Multiboot v1 kernel");
            layout = KernelSegments.FromElf(file, elf, $"the Multiboot v1 {elf.ClassName} kernel {file.Quoted}", arguments.Area);
        }

        return new MultibootV1Kernel(file, layout, arguments);
    }

    /// <inheritdoc />
    public KernelEntry Load(KernelLoadContext context)
    {
        var memory = context.Memory;
        _layout.WriteTo(memory);

        // The memory map: the BIOS's E820 list, each entry preceded by its size (20), as INT 15h E820 returns it.
        var e820 = context.Map.E820;
        int mmapLength = Math.Min(e820.Count, MmapLimit / MmapEntrySize) * MmapEntrySize;
        byte[] mmap = new byte[mmapLength];
        for (int i = 0; i < mmapLength / MmapEntrySize; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(mmap.AsSpan(i * MmapEntrySize), E820Entry.Size);
            e820[i].WriteTo(mmap.AsSpan((i * MmapEntrySize) + 4));
        }

        memory.Load(_mmapAddress, mmap);

        // After the kernel: module entries, then the modules' strings, the kernel's command line and the loader's name.
        byte[] area = BuildInfoArea(out uint cmdline, out uint name);
        memory.Load(_infoArea, area);
        for (int i = 0; i < _modules.Count; i++) memory.Load(_moduleAddresses[i], _modules[i].File.Bytes);

        byte[] info = new byte[InfoSize];
        Span<byte> s = info;
        BinaryPrimitives.WriteUInt32LittleEndian(s, InfoFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)(MemoryMap.EbdaBase / 1024));     // mem_lower: INT 12h's answer
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)(ContiguousRamAbove1MiB(e820) / 1024)); // mem_upper
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], BootDevice);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], cmdline);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], (uint)_modules.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], _infoArea);
        BinaryPrimitives.WriteUInt32LittleEndian(s[44..], (uint)mmapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(s[48..], _mmapAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(s[64..], name);
        memory.Load(_infoAddress, info);
        return KernelEntry.ProtectedMode(_layout.Entry, MultibootV1Header.BootloaderMagic, _infoAddress);
    }

    /// <summary>RAM from 1 MiB up to the first hole, as the Multiboot spec defines mem_upper (QEMU's ROM walks the E820 list the same way).</summary>
    internal static ulong ContiguousRamAbove1MiB(IReadOnlyList<E820Entry> e820)
    {
        ulong end = MemoryMap.HighMemoryBase;
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var e in e820)
            {
                if (e.Type == E820Type.Ram && e.Base <= end && e.End > end)
                {
                    end = e.End;
                    grew = true;
                }
            }
        }

        return end - MemoryMap.HighMemoryBase;
    }

    private byte[] BuildInfoArea(out uint cmdline, out uint name)
    {
        var strings = new MemoryStream();
        var entries = new byte[_modules.Count * ModuleEntrySize];
        uint stringsBase = _infoArea + (uint)entries.Length;
        for (int i = 0; i < _modules.Count; i++)
        {
            Span<byte> e = entries.AsSpan(i * ModuleEntrySize);
            BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)_moduleAddresses[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], (uint)_moduleAddresses[i] + (uint)_modules[i].File.Bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], stringsBase + (uint)strings.Length);
            strings.Write(Encoding.UTF8.GetBytes(_modules[i].CommandLine + "\0"));
        }

        cmdline = stringsBase + (uint)strings.Length;
        strings.Write(_commandLine);
        name = stringsBase + (uint)strings.Length;
        strings.Write(Encoding.ASCII.GetBytes(BootloaderName + "\0"));
        return [.. entries, .. strings.ToArray()];
    }
}
