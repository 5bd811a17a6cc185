namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// A kernel the BIOS boots instead of the disk's boot sector, as QEMU's <c>-kernel</c> does: POST hooks INT 19h (as
/// QEMU's multiboot and linuxboot option ROMs do), and the hooked INT 19h asks the BIOS services to place the kernel,
/// its modules and its boot information in RAM (<see cref="Load"/>), then switches to the entry state in ROM code that
/// the CPU executes (see <see cref="KernelEntry"/>). Implementations validate everything when they are created, so
/// <see cref="Load"/> cannot fail on the guest's account.
/// </summary>
public interface IKernelImage
{
    /// <summary>What the kernel is, for reports (for example "Multiboot v1 ELF32 kernel 'x.flat'").</summary>
    string Description { get; }

    /// <summary>Writes the kernel, its modules and its boot information into RAM; returns how to enter it.</summary>
    /// <param name="context">Guest memory, the memory map (the E820 source) and the firmware tables.</param>
    /// <returns>The entry state.</returns>
    KernelEntry Load(KernelLoadContext context);
}
