using System.Buffers.Binary;
using System.Text;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Loaders;

/// <summary>
/// A Linux bzImage loaded by the x86 boot protocol (boot.rst, "Loading the rest of the kernel" and "Running the
/// kernel") as QEMU's <c>-kernel</c> loads protocol 2.02+ kernels: the real-mode code at 0x10000 (setup segment
/// 0x1000), the command line at 0x20000, the protected-mode kernel at 1 MiB, the initrd as high as initrd_addr_max and
/// RAM allow (page-aligned). The loader writes type_of_loader (0xFF: no assigned ID), loadflags |= CAN_USE_HEAP,
/// heap_end_ptr (0xFE00), cmd_line_ptr and ramdisk_image/size; the kernel is entered through its real-mode setup code
/// at 0x1020:0000 with DS = ES = FS = GS = SS = 0x1000 and SP = 0xFFF0, so detect_memory's INT 15h E820, the switch to
/// protected mode and the decompressor all run on the simulated CPU.
/// </summary>
internal sealed class LinuxKernel : IKernelImage
{
    /// <summary>Where the real-mode code goes, and its segment.</summary>
    public const uint RealModeAddress = 0x10000;

    /// <summary>Where the command line goes.</summary>
    public const uint CommandLineAddress = 0x20000;

    /// <summary>Where the protected-mode kernel goes (code32_start).</summary>
    public const uint ProtectedModeAddress = 0x10_0000;

    /// <summary>type_of_loader: 0xFF, "undefined" (boot.rst: a boot loader without an assigned ID).</summary>
    public const byte TypeOfLoader = 0xFF;

    private const ushort HeapEnd = 0xFE00, StackPointer = 0xFFF0;

    private readonly KernelFile _file;
    private readonly LinuxSetupHeader _header;
    private readonly byte[] _commandLine;
    private readonly byte[] _initrd;
    private readonly uint _initrdAddress;

    private LinuxKernel(KernelFile file, LinuxSetupHeader header, byte[] commandLine, byte[] initrd, uint initrdAddress)
    {
        _file = file;
        _header = header;
        _commandLine = commandLine;
        _initrd = initrd;
        _initrdAddress = initrdAddress;
        Description = $"Linux bzImage {file.Quoted} (boot protocol {header.VersionText})";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Builds the kernel from <paramref name="file"/>, which has the setup header magic; every problem is one sentence.</summary>
    public static LinuxKernel Create(KernelFile file, BootArguments arguments)
    {
        var header = LinuxSetupHeader.Read(file.Bytes);
        string subject = $"the Linux kernel {file.Quoted}";
        if (header.Version < 0x202)
            throw new KernelLoadException($"{subject} speaks boot protocol {header.VersionText}; expected 2.02 or later (a bzImage from Linux 2.4 on).");
        if ((header.LoadFlags & LinuxSetupHeader.LoadedHigh) == 0)
            throw new KernelLoadException($"{subject} is a zImage (loadflags 0x{header.LoadFlags:X2}: LOADED_HIGH clear); expected a bzImage, which loads at 1 MiB.");
        if (file.Bytes.Length <= header.SetupSize)
            throw new KernelLoadException($"{subject} is truncated: {file.Bytes.Length} bytes, no more than its {header.SetupSize}-byte real-mode setup; expected the protected-mode kernel after it.");

        byte[] commandLine = Encoding.UTF8.GetBytes(arguments.CommandLine);
        if ((uint)commandLine.Length > header.CmdlineSize)
            throw new KernelLoadException($"the command line is {commandLine.Length} bytes; {subject} (protocol {header.VersionText}) accepts at most {header.CmdlineSize}.");

        var area = arguments.Area;
        area.Require(RealModeAddress, (ulong)header.SetupSize, subject, "its real-mode setup code");
        ulong kernelSize = (ulong)(file.Bytes.Length - header.SetupSize);
        area.Require(ProtectedModeAddress, Math.Max(kernelSize, header.InitSize), subject, "its protected-mode kernel (init_size bytes from 1 MiB)");

        // The initrd: the parts concatenated (cpio archives concatenate), at the highest page below initrd_addr_max
        // and the end of free RAM, as QEMU places it.
        byte[] initrd = Concatenate(arguments.Modules);
        uint initrdAddress = 0;
        if (initrd.Length > 0)
        {
            ulong top = Math.Min((ulong)header.InitrdAddrMax + 1, area.EndOfRangeAt(ProtectedModeAddress));
            ulong lowest = ProtectedModeAddress + Math.Max(kernelSize, header.InitSize);
            if ((ulong)initrd.Length > top - lowest)
                throw new KernelLoadException($"the initrd is {initrd.Length} bytes, larger than the 0x{top - lowest:X} bytes between {subject}'s end (0x{lowest:X}) and " +
                    $"min(initrd_addr_max + 1 = 0x{(ulong)header.InitrdAddrMax + 1:X}, the end of free RAM); expected a smaller initrd or more --memory.");
            initrdAddress = (uint)((top - (ulong)initrd.Length) & ~0xFFFUL);
        }

        return new LinuxKernel(file, header, commandLine, initrd, initrdAddress);
    }

    /// <inheritdoc />
    public KernelEntry Load(KernelLoadContext context)
    {
        var memory = context.Memory;
        byte[] setup = _file.Bytes.AsSpan(0, _header.SetupSize).ToArray();
        setup[LinuxSetupHeader.TypeOfLoaderOffset] = TypeOfLoader;
        setup[LinuxSetupHeader.LoadFlagsOffset] |= LinuxSetupHeader.CanUseHeap;
        BinaryPrimitives.WriteUInt16LittleEndian(setup.AsSpan(LinuxSetupHeader.HeapEndPtrOffset), HeapEnd);
        BinaryPrimitives.WriteUInt32LittleEndian(setup.AsSpan(LinuxSetupHeader.CmdLinePtrOffset), CommandLineAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(setup.AsSpan(LinuxSetupHeader.RamdiskImageOffset), _initrdAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(setup.AsSpan(LinuxSetupHeader.RamdiskSizeOffset), (uint)_initrd.Length);
        memory.Load(RealModeAddress, setup);
        memory.Load(CommandLineAddress, [.. _commandLine, 0]);
        memory.Load(ProtectedModeAddress, _file.Bytes.AsSpan(_header.SetupSize));
        if (_initrd.Length > 0) memory.Load(_initrdAddress, _initrd);
        return KernelEntry.RealMode((ushort)(RealModeAddress >> 4), StackPointer);
    }

    private static byte[] Concatenate(IReadOnlyList<KernelModule> parts)
    {
        var all = new MemoryStream();
        foreach (var part in parts)
        {
            all.Write(part.File.Bytes);
            while (all.Length % 4 != 0) all.WriteByte(0); // cpio members are 4-byte aligned
        }

        return all.ToArray();
    }
}
