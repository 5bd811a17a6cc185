using System.Buffers.Binary;

namespace Smp.Host.Loaders;

/// <summary>
/// The x86 Linux boot protocol's setup header (Documentation/arch/x86/boot.rst, "The real-mode kernel header"), read
/// from a bzImage: the fields a boot loader reads and the offsets of those it writes.
/// </summary>
internal sealed class LinuxSetupHeader
{
    /// <summary>Offsets in the real-mode code (the file's first sectors), from boot.rst.</summary>
    public const int SetupSectsOffset = 0x1F1, VidModeOffset = 0x1FA, BootFlagOffset = 0x1FE, HeaderMagicOffset = 0x202, VersionOffset = 0x206,
        TypeOfLoaderOffset = 0x210, LoadFlagsOffset = 0x211, Code32StartOffset = 0x214, RamdiskImageOffset = 0x218, RamdiskSizeOffset = 0x21C,
        HeapEndPtrOffset = 0x224, CmdLinePtrOffset = 0x228, InitrdAddrMaxOffset = 0x22C, KernelAlignmentOffset = 0x230, RelocatableOffset = 0x234,
        XLoadFlagsOffset = 0x236, CmdlineSizeOffset = 0x238, PrefAddressOffset = 0x258, InitSizeOffset = 0x260;

    /// <summary>"HdrS".</summary>
    public const uint HeaderMagic = 0x5372_6448;

    /// <summary>loadflags bits.</summary>
    public const byte LoadedHigh = 0x01, CanUseHeap = 0x80;

    /// <summary>xloadflags bit 0: a 64-bit entry point at the protected-mode kernel + 0x200.</summary>
    public const ushort Xlf64BitEntry = 0x01;

    private LinuxSetupHeader(byte[] bytes)
    {
        int sects = bytes[SetupSectsOffset];
        SetupSects = sects == 0 ? 4 : sects;
        Version = U16(bytes, VersionOffset);
        LoadFlags = bytes[LoadFlagsOffset];
        InitrdAddrMax = Version >= 0x203 ? U32(bytes, InitrdAddrMaxOffset) : 0x37FF_FFFF;
        CmdlineSize = Version >= 0x206 ? U32(bytes, CmdlineSizeOffset) : 255;
        XLoadFlags = Version >= 0x20C ? U16(bytes, XLoadFlagsOffset) : (ushort)0;
        Relocatable = Version >= 0x205 && bytes[RelocatableOffset] != 0;
        KernelAlignment = Version >= 0x205 ? U32(bytes, KernelAlignmentOffset) : 0;
        PrefAddress = Version >= 0x20A ? U64(bytes, PrefAddressOffset) : 0x10_0000;
        InitSize = Version >= 0x20A ? U32(bytes, InitSizeOffset) : 0;
        HeaderEnd = 0x202 + bytes[0x201];
    }

    /// <summary>Sectors of real-mode setup code after the boot sector (0 in the file means 4).</summary>
    public int SetupSects { get; }

    /// <summary>The protocol version (0x20F is 2.15).</summary>
    public ushort Version { get; }

    /// <summary>loadflags as the kernel shipped them.</summary>
    public byte LoadFlags { get; }

    /// <summary>The highest address the initrd's last byte may have.</summary>
    public uint InitrdAddrMax { get; }

    /// <summary>The longest command line, without its NUL.</summary>
    public uint CmdlineSize { get; }

    /// <summary>xloadflags (2.12+).</summary>
    public ushort XLoadFlags { get; }

    /// <summary>Whether the protected-mode kernel may be loaded anywhere kernel_alignment allows (2.05+).</summary>
    public bool Relocatable { get; }

    /// <summary>kernel_alignment (2.05+).</summary>
    public uint KernelAlignment { get; }

    /// <summary>pref_address (2.10+; 1 MiB before).</summary>
    public ulong PrefAddress { get; }

    /// <summary>init_size (2.10+): the bytes the kernel needs from its load address while it decompresses.</summary>
    public uint InitSize { get; }

    /// <summary>The first byte past the setup header (0x202 + the byte at 0x201, the jump's displacement).</summary>
    public int HeaderEnd { get; }

    /// <summary>The size of the real-mode code, boot sector included: (setup_sects + 1) × 512.</summary>
    public int SetupSize => (SetupSects + 1) * 512;

    /// <summary>"2.15" for messages.</summary>
    public string VersionText => $"{Version >> 8}.{Version & 0xFF:D2}";

    /// <summary>True when <paramref name="bytes"/> carries the "HdrS" magic at 0x202 (boot protocol 2.00+).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.Length >= 0x206 && BinaryPrimitives.ReadUInt32LittleEndian(bytes[HeaderMagicOffset..]) == HeaderMagic;

    /// <summary>Reads the header of a file that has <see cref="HasMagic"/>.</summary>
    public static LinuxSetupHeader Read(byte[] bytes) => new(bytes.Length >= 0x270 ? bytes : [.. bytes, .. new byte[0x270 - bytes.Length]]);

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));

    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));

    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
}
