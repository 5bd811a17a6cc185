using System.Buffers.Binary;

namespace Smp.Host.Tests.Loaders;

/// <summary>A file shaped as a bzImage: boot sector signature, setup header with the given protocol and limits, a kernel part.</summary>
internal static class SyntheticBzImage
{
    /// <summary>Builds the image; <paramref name="setup"/> (16-bit code for offset 0x200 on) replaces the setup code after the header.</summary>
    public static byte[] Build(ushort version = 0x020F, byte loadFlags = 0x01, uint initrdAddrMax = 0x7FFF_FFFF, int kernelBytes = 0x1000, byte[]? setup = null)
    {
        const int setupSects = 3;
        byte[] file = new byte[((setupSects + 1) * 512) + kernelBytes];
        Span<byte> f = file;
        f[0x1F1] = setupSects;
        BinaryPrimitives.WriteUInt16LittleEndian(f[0x1FA..], 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(f[0x1FE..], 0xAA55);
        f[0x200] = 0xEB; // jmp short past the header
        f[0x201] = 0x6E;
        "HdrS"u8.CopyTo(f[0x202..]);
        BinaryPrimitives.WriteUInt16LittleEndian(f[0x206..], version);
        f[0x211] = loadFlags;
        BinaryPrimitives.WriteUInt32LittleEndian(f[0x214..], 0x100000);
        BinaryPrimitives.WriteUInt32LittleEndian(f[0x22C..], initrdAddrMax);
        BinaryPrimitives.WriteUInt32LittleEndian(f[0x238..], 2048);
        setup?.CopyTo(f[0x270..]);
        return file;
    }
}
