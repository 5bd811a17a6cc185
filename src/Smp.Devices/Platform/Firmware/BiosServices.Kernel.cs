namespace Smp.Devices.Platform.Firmware;

// Booting a kernel instead of the disk (QEMU's -kernel). QEMU's multiboot and linuxboot option ROMs hook INT 19h during
// POST and, when the BIOS calls it, copy the kernel from fw_cfg into RAM and enter it; this BIOS does the same with a
// trap: POST points INT 19h at the ROM's kernel-boot routine, whose trap places the kernel (IKernelImage.Load) and
// returns the entry state for the ROM code to switch to (BiosRomKernelBoot).
public sealed partial class BiosServices
{
    private const ulong Int19Vector = 0x19 * 4;
    private readonly IKernelImage? _kernel;
    private readonly AcpiTables? _acpi;

    /// <summary>The kernel booted instead of the disk, if any.</summary>
    public IKernelImage? Kernel => _kernel;

    private void HookKernelBoot()
    {
        if (_kernel is null) return;
        _memory.Write(Int19Vector, 4, ((uint)BiosRom.Segment << 16) | BiosRom.KernelBootEntry);
    }

    // Returns CX = the entry mode and its registers (see BiosRomKernelBoot.Entry); CF = 1 without a kernel.
    private void KernelBoot(ref BiosRegisters r)
    {
        if (_kernel is null)
        {
            Fail(ref r, Unsupported);
            return;
        }

        KernelEntry entry = _kernel.Load(new KernelLoadContext(_memory, _map, _acpi!));
        r.Ecx = (uint)entry.Mode;
        switch (entry.Mode)
        {
            case KernelEntryMode.ProtectedMode32:
                r.Eax = entry.Eax;
                r.Ebx = entry.Ebx;
                r.Edi = entry.EntryPoint;
                break;
            case KernelEntryMode.RealModeSetup:
                r.Edx = entry.Segment;
                r.Esi = entry.StackPointer;
                break;
        }

        r.Carry = false;
    }
}
