using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// Builds the 64 KiB real-mode BIOS ROM, assembled with Iced: map it at <see cref="Base"/> (0xF0000–0xFFFFF) and at
/// <see cref="AliasBase"/> (just below 4 GiB, where the reset vector 0xFFFFFFF0 lies). Layout (offsets in segment F000):
/// <list type="bullet">
/// <item>0x0000–0x7FFF: firmware tables that must live in the BIOS area (ACPI RSDP at 0xF0000, MP floating pointer
/// and table at 0xF0040), copied in from <see cref="FirmwareBlob"/>s; guests find them by the standard 16-byte scan.</item>
/// <item>0xE000: default interrupt stub (<c>iret</c>); 0xE010/0xE020: master/slave PIC EOI stubs; 0xE040: the IRQ0 timer
/// handler (BDA tick count, INT 1Ch, EOI); 0xE100 + 8k: trap stubs <c>push dx; mov dx, port; out dx, al; pop dx; iret</c> (see <see cref="BiosTrap"/>, <see cref="BiosTrapPorts"/>).</item>
/// <item>0xE200: INT 19h bootstrap; 0xE300: its failure message; 0xE400: POST.</item>
/// <item>0xEC00: kernel boot (the INT 19h that POST installs for a <c>--kernel</c> run); 0xED00: its 32-bit part; 0xEDC0: its
/// GDT, 0xEDE0: the GDT's descriptor (see <see cref="BiosRomKernelBoot"/>).</item>
/// <item>0xFFF0: the reset vector <c>jmp F000:E400</c>, the BIOS date at 0xFFF5 and model byte 0xFC at 0xFFFE (PC/AT convention).</item>
/// </list>
/// </summary>
public static class BiosRom
{
    /// <summary>Where the ROM is mapped below 1 MiB.</summary>
    public const ulong Base = 0xF0000;

    /// <summary>Where the ROM's alias is mapped below 4 GiB (4 GiB − <see cref="Size"/>), holding the reset vector.</summary>
    public const ulong AliasBase = 0xFFFF0000;

    /// <summary>ROM size in bytes.</summary>
    public const int Size = 0x10000;

    /// <summary>The real-mode segment of the ROM.</summary>
    public const ushort Segment = 0xF000;

    /// <summary>Firmware tables copied into the ROM must lie in [<see cref="Base"/>, <see cref="Base"/> + this).</summary>
    public const int TableAreaSize = 0x8000;

    /// <summary>Offset of the POST entry point (the reset vector jumps here).</summary>
    public const ushort PostEntry = 0xE400;

    /// <summary>Offset of the INT 19h bootstrap routine.</summary>
    public const ushort BootstrapEntry = 0xE200;

    /// <summary>Offset of the default interrupt handler (a lone <c>iret</c>).</summary>
    public const ushort DefaultHandler = 0xE000;

    /// <summary>Offset of the handler for master-PIC IRQs 1–7 (EOI to the master).</summary>
    public const ushort MasterIrqHandler = 0xE010;

    /// <summary>Offset of the handler for slave-PIC IRQs 8–15 (EOI to both PICs).</summary>
    public const ushort SlaveIrqHandler = 0xE020;

    /// <summary>Offset of the IRQ0 handler.</summary>
    public const ushort TimerIrqHandler = 0xE040;

    /// <summary>SS:SP = 0000:<see cref="StackTop"/> during POST and when the boot sector is entered.</summary>
    public const ushort StackTop = 0x7000;

    /// <summary>The master PIC's vector base after POST (the PC/AT assignment).</summary>
    public const byte MasterVectorBase = 0x08;

    /// <summary>The slave PIC's vector base after POST.</summary>
    public const byte SlaveVectorBase = 0x70;

    /// <summary>Offset of the kernel-boot routine POST installs as INT 19h when the machine has a kernel (<see cref="IKernelImage"/>).</summary>
    public const ushort KernelBootEntry = 0xEC00;

    /// <summary>Offset of the kernel boot's 32-bit protected-mode part.</summary>
    public const ushort KernelBoot32 = 0xED00;

    /// <summary>Offset of the kernel boot's GDT.</summary>
    public const ushort KernelBootGdt = 0xEDC0;

    /// <summary>Offset of the kernel boot's GDT descriptor (limit, 32-bit linear base).</summary>
    public const ushort KernelBootGdtDescriptor = 0xEDE0;

    private const ushort TrapStubs = 0xE100, TrapStubSize = 8, BootFailMessage = 0xE300;
    private const int PostSize = 0x800, SmallSlot = 0x10, TimerSlot = 0xC0, BootstrapSlot = 0x100;

    /// <summary>Offset of the trap stub for <paramref name="port"/>.</summary>
    public static ushort TrapStub(ushort port) => (ushort)(TrapStubs + (port - BiosTrap.TrapPortBase) * TrapStubSize);

    /// <summary>Builds the ROM for a platform: its ACPI RSDP and MP structures (those in the BIOS area) go into the image.</summary>
    public static byte[] Build(PcPlatform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return Build([.. platform.Acpi.Blobs, .. platform.Mp.Blobs]);
    }

    /// <summary>
    /// Builds the ROM image. Blobs that overlap 0xF0000–0xFFFFF are copied in (they must lie within the table area);
    /// blobs elsewhere (RAM) are ignored here: the POST trap writes them (<see cref="BiosServices"/>).
    /// </summary>
    public static byte[] Build(IEnumerable<FirmwareBlob> firmwareTables)
    {
        ArgumentNullException.ThrowIfNull(firmwareTables);
        byte[] rom = new byte[Size];
        rom.AsSpan().Fill(0xFF);
        rom.AsSpan(0, TableAreaSize).Clear();
        foreach (FirmwareBlob blob in firmwareTables)
        {
            ulong end = blob.Address + (ulong)blob.Bytes.Length;
            if (end <= Base || blob.Address >= Base + Size) continue;
            if (blob.Address < Base || end > Base + TableAreaSize)
                throw new ArgumentException($"A firmware table at 0x{blob.Address:X} ({blob.Bytes.Length} bytes) overlaps the BIOS ROM outside its table area 0x{Base:X}–0x{Base + TableAreaSize - 1:X}.", nameof(firmwareTables));
            blob.CopyInto(rom, Base);
        }

        Place(rom, DefaultHandler, SmallSlot, a => a.iret());
        Place(rom, MasterIrqHandler, SmallSlot, a => { a.push(ax); a.mov(al, 0x20); a.@out(0x20, al); a.pop(ax); a.iret(); });
        Place(rom, SlaveIrqHandler, SmallSlot, a => { a.push(ax); a.mov(al, 0x20); a.@out(0xA0, al); a.@out(0x20, al); a.pop(ax); a.iret(); });
        Place(rom, TimerIrqHandler, TimerSlot, BiosRomCode.TimerIrq);
        for (int k = 0; k < BiosTrap.TrapPortCount; k++)
        {
            ushort port = (ushort)(BiosTrap.TrapPortBase + k);
            Place(rom, TrapStub(port), TrapStubSize, a => { BiosTrap.EmitTrap(a, port); a.iret(); });
        }
        Place(rom, BootstrapEntry, BootstrapSlot, a => BiosRomCode.Bootstrap(a, BootFailMessage));
        "No bootable disk: INT 19h found no 0xAA55 boot sector on drive 80h.\r\n\0"u8.CopyTo(rom.AsSpan(BootFailMessage));
        Place(rom, PostEntry, PostSize, BiosRomCode.Post);
        Place(rom, KernelBootEntry, KernelBoot32 - KernelBootEntry, BiosRomKernelBoot.Entry);
        Place(rom, KernelBoot32, KernelBootGdt - KernelBoot32, BiosRomKernelBoot.Protected32, bitness: 32);
        for (int i = 0; i < BiosRomKernelBoot.Gdt.Length; i++) BitConverter.TryWriteBytes(rom.AsSpan(KernelBootGdt + (i * 8)), BiosRomKernelBoot.Gdt[i]);
        BitConverter.TryWriteBytes(rom.AsSpan(KernelBootGdtDescriptor), (ushort)((BiosRomKernelBoot.Gdt.Length * 8) - 1));
        BitConverter.TryWriteBytes(rom.AsSpan(KernelBootGdtDescriptor + 2), (uint)(Base + KernelBootGdt));
        Place(rom, 0xFFF0, 5, a => a.jmp(Segment, PostEntry));
        "01/01/24"u8.CopyTo(rom.AsSpan(0xFFF5));
        rom[0xFFFE] = 0xFC;
        return rom;
    }

    // Assembles code for the ROM at offset (16-bit code runs at IP = offset in segment F000; 32- and 64-bit code at its
    // flat linear address) and copies it into the ROM, checking it fits its slot.
    private static void Place(byte[] rom, ushort offset, int slot, Action<Assembler> build, int bitness = 16)
    {
        var a = new Assembler(bitness);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), bitness == 16 ? offset : Base + offset);
        byte[] code = stream.ToArray();
        if (code.Length > slot) throw new InvalidOperationException($"BIOS ROM code at F000:{offset:X4} is {code.Length} bytes, more than its {slot}-byte slot.");
        code.CopyTo(rom, offset);
    }
}
