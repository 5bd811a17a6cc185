using System.Buffers.Binary;
using System.Text;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Loaders;

/// <summary>
/// A Multiboot2 kernel (Multiboot2 spec 1.6): loaded from its ELF program headers or its address tag, entered at its
/// entry-address tag or ELF entry in 32-bit protected mode (spec 3.3: paging off, A20 on, flat segments, IF = 0) with
/// EAX = 0x36D76289 and EBX = the boot information. The information (spec 3.6) sits page-aligned after the kernel, the
/// modules page-aligned after it, with tags: command line (1, <c>--append</c>), boot loader name (2), one module per
/// <c>--initrd</c> entry (3), basic memory information (4), the memory map from the BIOS's E820 list (6), and the ACPI
/// RSDP (14 old; 15 new when the RSDP is version 2). No framebuffer: a kernel that requires one is refused.
/// </summary>
internal sealed class Multiboot2Kernel : IKernelImage
{
    /// <summary>The boot loader name tag's string.</summary>
    public const string BootloaderName = "smp";

    private const ushort InfoCmdline = 1, InfoBootloaderName = 2, InfoModule = 3, InfoBasicMeminfo = 4, InfoMmap = 6, InfoAcpiOld = 14, InfoAcpiNew = 15;
    private const int MmapEntrySize = 24, RsdpV1Size = 20, RsdpV2Size = 36;

    private static readonly Dictionary<uint, string> InformationNames = new()
    {
        [1] = "command line", [2] = "boot loader name", [3] = "modules", [4] = "basic memory information", [5] = "BIOS boot device",
        [6] = "memory map", [7] = "VBE information", [8] = "framebuffer information", [9] = "ELF symbols", [10] = "APM table",
        [11] = "EFI 32-bit system table", [12] = "EFI 64-bit system table", [13] = "SMBIOS tables", [14] = "ACPI old RSDP",
        [15] = "ACPI new RSDP", [16] = "networking information", [17] = "EFI memory map", [18] = "EFI boot services not terminated",
        [19] = "EFI 32-bit image handle", [20] = "EFI 64-bit image handle", [21] = "image load base address",
    };

    private readonly KernelSegments _segments;
    private readonly IReadOnlyList<KernelModule> _modules;
    private readonly ulong[] _moduleAddresses;
    private readonly string _commandLine;
    private readonly uint _infoAddress;

    private Multiboot2Kernel(KernelFile file, KernelSegments segments, BootArguments arguments)
    {
        _segments = segments;
        _modules = arguments.Modules;
        _commandLine = arguments.CommandLine;
        Description = $"Multiboot2 {segments.Format} kernel {file.Quoted}";
        _infoAddress = (uint)ModulePlacement.AlignUp(segments.High);
        ulong size = (ulong)BuildInformation(arguments.Map.E820, new byte[RsdpV2Size], new ulong[_modules.Count]).Length;
        arguments.Area.Require(_infoAddress, size, Description, "its boot information after the kernel");
        _moduleAddresses = ModulePlacement.Place(_modules, _infoAddress + size, arguments.Area, out _);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Builds the kernel from a header found in <paramref name="file"/>; every problem is one sentence.</summary>
    public static Multiboot2Kernel Create(KernelFile file, Multiboot2Header header, BootArguments arguments)
    {
        string subject = $"the Multiboot2 kernel {file.Quoted}";
        if (header.Architecture != 0)
            throw new KernelLoadException($"{subject} is for architecture {header.Architecture} (4 is 32-bit MIPS); expected 0, i386 protected mode.");
        byte[] b = file.Bytes;
        Multiboot2HeaderTag? address = null;
        uint? entry = null;
        foreach (var tag in header.Tags)
        {
            switch (tag.Type)
            {
                case Multiboot2Header.TagInformationRequest:
                    if (tag.Optional) break;
                    for (int i = 0; 8 + (4 * (i + 1)) <= tag.Size; i++)
                    {
                        uint type = Multiboot2Header.Field(b, tag, i);
                        if (!Provides(type, arguments))
                            throw new KernelLoadException($"{subject} requires boot information type {type} ({InformationNames.GetValueOrDefault(type, "unknown")}), which this loader does not provide; expected it marked optional.");
                    }

                    break;
                case Multiboot2Header.TagAddress: address = tag; break;
                case Multiboot2Header.TagEntryAddress: entry = Multiboot2Header.Field(b, tag, 0); break;
                case Multiboot2Header.TagConsoleFlags or Multiboot2Header.TagModuleAlignment or Multiboot2Header.TagRelocatable: break;
                case Multiboot2Header.TagFramebuffer when !tag.Optional:
                    throw new KernelLoadException($"{subject} requires a framebuffer (a non-optional framebuffer tag); smp's machine has only a VGA text window, so expected the tag marked optional.");
                case Multiboot2Header.TagEfiBootServices or Multiboot2Header.TagEfi32Entry or Multiboot2Header.TagEfi64Entry when !tag.Optional:
                    throw new KernelLoadException($"{subject} requires EFI (header tag {tag.Type}); smp boots through a BIOS, so expected an i386 entry.");
                default:
                    if (!tag.Optional && tag.Type > Multiboot2Header.TagRelocatable)
                        throw new KernelLoadException($"{subject} has a non-optional header tag of unknown type {tag.Type} at offset 0x{tag.Offset:X}; expected types 1-10.");
                    break;
            }
        }

        KernelSegments segments;
        if (address is { } a)
        {
            uint headerAddr = Multiboot2Header.Field(b, a, 0), loadAddr = Multiboot2Header.Field(b, a, 1);
            if (loadAddr == uint.MaxValue) loadAddr = headerAddr - (uint)header.Offset; // -1: load the file from its beginning
            if (entry is null) throw new KernelLoadException($"{subject} has an address tag but no entry address tag; expected both (Multiboot2 spec 3.1.6).");
            segments = KernelSegments.FromAoutKludge(file, header.Offset, headerAddr, loadAddr, Multiboot2Header.Field(b, a, 2), Multiboot2Header.Field(b, a, 3), entry.Value,
                $"the Multiboot2 address-tag kernel {file.Quoted}", arguments.Area);
        }
        else
        {
            if (!ElfFile.HasMagic(b))
                throw new KernelLoadException($"{subject} is {FileContents.Describe(b)} without an address tag; expected an ELF file or an address tag.");
            var elf = ElfFile.Parse(file, "Multiboot2 kernel");
            segments = KernelSegments.FromElf(file, elf, $"the Multiboot2 {elf.ClassName} kernel {file.Quoted}", arguments.Area, entry);
        }

        return new Multiboot2Kernel(file, segments, arguments);
    }

    /// <inheritdoc />
    public KernelEntry Load(KernelLoadContext context)
    {
        var memory = context.Memory;
        _segments.WriteTo(memory);
        for (int i = 0; i < _modules.Count; i++) memory.Load(_moduleAddresses[i], _modules[i].File.Bytes);
        memory.Load(_infoAddress, BuildInformation(context.Map.E820, context.Acpi.Rsdp.Bytes, _moduleAddresses));
        return KernelEntry.ProtectedMode(_segments.Entry, Multiboot2Header.BootloaderMagic, _infoAddress);
    }

    private static bool Provides(uint type, BootArguments arguments) =>
        type is InfoCmdline or InfoBootloaderName or InfoBasicMeminfo or InfoMmap or InfoAcpiOld || (type == InfoModule && arguments.Modules.Count > 0);

    // The information (spec 3.6): u32 total_size, u32 reserved, then 8-byte-aligned tags ending with the end tag.
    private byte[] BuildInformation(IReadOnlyList<E820Entry> e820, byte[] rsdp, ulong[] moduleAddresses)
    {
        var info = new MemoryStream();
        info.Write(new byte[8]);
        Tag(info, InfoCmdline, Encoding.UTF8.GetBytes(_commandLine + "\0"));
        Tag(info, InfoBootloaderName, Encoding.ASCII.GetBytes(BootloaderName + "\0"));
        for (int i = 0; i < _modules.Count; i++)
        {
            byte[] text = Encoding.UTF8.GetBytes(_modules[i].CommandLine + "\0");
            byte[] body = new byte[8 + text.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)moduleAddresses[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), (uint)moduleAddresses[i] + (uint)_modules[i].File.Bytes.Length);
            text.CopyTo(body, 8);
            Tag(info, InfoModule, body);
        }

        byte[] meminfo = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(meminfo, (uint)(MemoryMap.EbdaBase / 1024));
        BinaryPrimitives.WriteUInt32LittleEndian(meminfo.AsSpan(4), (uint)(MultibootV1Kernel.ContiguousRamAbove1MiB(e820) / 1024));
        Tag(info, InfoBasicMeminfo, meminfo);

        byte[] mmap = new byte[8 + (e820.Count * MmapEntrySize)];
        BinaryPrimitives.WriteUInt32LittleEndian(mmap, MmapEntrySize); // entry_size; entry_version 0
        for (int i = 0; i < e820.Count; i++) e820[i].WriteTo(mmap.AsSpan(8 + (i * MmapEntrySize)));
        Tag(info, InfoMmap, mmap);

        Tag(info, InfoAcpiOld, rsdp.AsSpan(0, RsdpV1Size).ToArray());
        if (rsdp.Length >= RsdpV2Size && rsdp[15] >= 2) Tag(info, InfoAcpiNew, rsdp.AsSpan(0, RsdpV2Size).ToArray());
        Tag(info, 0, []);
        byte[] bytes = info.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        return bytes;
    }

    private static void Tag(MemoryStream info, ushort type, byte[] body)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, type);
        BinaryPrimitives.WriteUInt32LittleEndian(head[4..], (uint)(8 + body.Length));
        info.Write(head);
        info.Write(body);
        while (info.Length % 8 != 0) info.WriteByte(0);
    }
}
