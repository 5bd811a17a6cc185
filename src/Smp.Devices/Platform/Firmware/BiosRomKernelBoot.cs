using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// The ROM code that enters a kernel placed by <see cref="IKernelImage.Load"/> (see <see cref="BiosRom"/> for where each
/// piece goes). POST hooks INT 19h to <see cref="BiosRom.KernelBootEntry"/> when the machine has a kernel, as QEMU's
/// multiboot and linuxboot option ROMs hook it; the CPU then executes every mode switch itself.
/// </summary>
internal static class BiosRomKernelBoot
{
    /// <summary>Flat 32-bit code (Multiboot's CS).</summary>
    public const ushort Code32Selector = 0x08;

    /// <summary>Flat data: Multiboot's DS/ES/FS/GS/SS.</summary>
    public const ushort DataSelector = 0x10;

    private const uint Cr0Pe = 1;

    /// <summary>The GDT: null, flat 32-bit code, flat data (SDM Vol. 3A 3.4.5: base 0, limit 4 GiB, G = 1).</summary>
    public static readonly ulong[] Gdt = [0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF];

    /// <summary>
    /// 16-bit INT 19h replacement: a fake INT frame and the KernelBoot trap (the BIOS places the kernel; CX = the
    /// <see cref="KernelEntryMode"/>, CF = 1 when there is none: boot the disk), then the entry mode's switch.
    /// </summary>
    public static void Entry(Assembler a)
    {
        Label real = a.CreateLabel(), disk = a.CreateLabel();
        a.cli();
        a.cld();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, BiosRom.StackTop);
        a.pushf();
        a.push(cs);
        a.call(BiosRom.TrapStub(BiosTrapPorts.KernelBoot));
        a.jc(disk);
        a.cmp(cx, (ushort)KernelEntryMode.RealModeSetup);
        a.je(real);

        // Protected mode (SDM Vol. 3A 9.9.1): LGDT, CR0.PE, a far jump to reload CS; EAX, EBX, EDI survive.
        a.push(cs);
        a.pop(ds);
        a.lgdt(__[BiosRom.KernelBootGdtDescriptor]);
        a.mov(ecx, cr0);
        a.or(ecx, Cr0Pe);
        a.mov(cr0, ecx);
        a.db(0x66, 0xEA); // jmp far ptr16:32 (operand-size prefix in 16-bit code)
        a.dd((uint)(BiosRom.Base + BiosRom.KernelBoot32));
        a.dw(Code32Selector);

        // Real mode (boot protocol, "Running the kernel"): every data segment and SS = the setup segment, SP given,
        // then a far return to setup_seg + 0x20 : 0 with the general registers cleared, as QEMU's linuxboot ROM does.
        a.Label(ref real);
        a.mov(ss, dx);
        a.mov(sp, si);
        a.mov(ds, dx);
        a.mov(es, dx);
        a.mov(fs, dx);
        a.mov(gs, dx);
        a.add(dx, 0x20);
        a.push(dx);
        a.push(0);
        foreach (var r in new[] { eax, ebx, ecx, edx, esi, edi, ebp }) a.xor(r, r);
        a.retf();

        a.Label(ref disk);
        a.jmp(BiosRom.Segment, BiosRom.BootstrapEntry);
    }

    /// <summary>32-bit code after CR0.PE (at linear <see cref="BiosRom.Base"/> + <see cref="BiosRom.KernelBoot32"/>): flat data segments, jump to EDI.</summary>
    public static void Protected32(Assembler a)
    {
        a.mov(cx, DataSelector);
        a.mov(ds, cx);
        a.mov(es, cx);
        a.mov(fs, cx);
        a.mov(gs, cx);
        a.mov(ss, cx);
        a.jmp(edi);
    }
}
