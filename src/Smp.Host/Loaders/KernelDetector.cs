using System.Buffers.Binary;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Loaders;

/// <summary>
/// Recognises a kernel by its contents, never its name, in QEMU's order: a Linux bzImage (the setup header's "HdrS"
/// at 0x202), then a Multiboot v1 header (magic 0x1BADB002 within the first 8 KiB), then a Multiboot2 header (magic
/// 0xE85250D6 within the first 32 KiB). Anything else is one sentence naming what the file is.
/// </summary>
internal static class KernelDetector
{
    /// <summary>The kernel image for <paramref name="file"/>, validated against the machine in <paramref name="arguments"/>.</summary>
    /// <exception cref="KernelLoadException">The file is no bootable kernel, or does not fit the machine.</exception>
    public static IKernelImage Open(KernelFile file, BootArguments arguments)
    {
        byte[] bytes = file.Bytes;
        if (LinuxSetupHeader.HasMagic(bytes) && bytes.Length >= 512 && BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(LinuxSetupHeader.BootFlagOffset)) == 0xAA55)
            return LinuxKernel.Create(file, arguments);
        if (MultibootV1Header.Find(bytes, out int badV1) is { } v1) return MultibootV1Kernel.Create(file, v1, arguments);
        if (Multiboot2Header.Find(bytes, out int badV2) is { } v2) return Multiboot2Kernel.Create(file, v2, arguments);
        if (badV1 >= 0)
        {
            var (flags, checksum) = MultibootV1Header.RawAt(bytes, badV1);
            throw new KernelLoadException($"the kernel {file.Quoted} has the Multiboot v1 magic 0x1BADB002 at offset 0x{badV1:X} but a bad checksum " +
                $"(flags 0x{flags:X8}, checksum 0x{checksum:X8}: the sum is 0x{unchecked(MultibootV1Header.Magic + flags + checksum):X8}); expected magic + flags + checksum = 0.");
        }

        if (badV2 >= 0)
        {
            var (arch, length, checksum) = Multiboot2Header.RawAt(bytes, badV2);
            throw new KernelLoadException($"the kernel {file.Quoted} has the Multiboot2 magic 0xE85250D6 at offset 0x{badV2:X} but a bad checksum " +
                $"(architecture {arch}, header_length {length}, checksum 0x{checksum:X8}); expected magic + architecture + header_length + checksum = 0.");
        }

        throw new KernelLoadException($"the kernel {file.Quoted} is {FileContents.Describe(bytes)}, not a bootable kernel; expected a Multiboot v1 kernel " +
            "(magic 0x1BADB002 in its first 8 KiB), a Multiboot2 kernel (magic 0xE85250D6 in its first 32 KiB) or a Linux bzImage (\"HdrS\" at offset 0x202).");
    }
}
