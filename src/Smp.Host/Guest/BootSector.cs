using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>
/// The boot sector (arch/x86/boot/header.S's place): checks the INT 13h extensions (AH=41h), loads the
/// whole image to 0x10000 with AH=42h extended reads of at most 64 sectors, and jumps to start_of_setup.
/// </summary>
internal static class BootSector
{
    // Fixed data inside the sector (the code must stay below them).
    private const ushort Dap = 0x7D80;
    private const ushort BootDrive = 0x7D90;
    private const ushort SectorsLeft = 0x7D92;
    private const ushort Message = 0x7DA0;
    private const int CodeLimit = 0x180;
    private const string ErrorText = "boot: disk read error\r\n";

    /// <summary>Assembles the sector.</summary>
    /// <param name="sectors">Sectors to load (the whole image, this sector included).</param>
    /// <returns>512 bytes ending in 0x55 0xAA, and the symbol.</returns>
    public static (byte[] Bytes, List<KernelSymbol> Symbols) Build(int sectors)
    {
        var c = new CodeChunk("bootsect", 16, KernelLayout.BootSector, 0, CodeLimit);
        var a = c.A;
        c.Function("bootsect_start");
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, (ushort)KernelLayout.BootSector);
        a.sti();
        a.cld();
        a.mov(__byte_ptr[BootDrive], dl);
        a.mov(ah, 0x41);
        a.mov(bx, 0x55AA);
        a.@int(0x13);
        var error = c.Local();
        a.jc(error);
        a.cmp(bx, 0xAA55);
        a.jne(error);

        var read = c.Local();
        var loaded = c.Local();
        var chunk = c.Local();
        c.Bind(read);
        a.mov(ax, __word_ptr[SectorsLeft]);
        a.test(ax, ax);
        a.jz(loaded);
        a.cmp(ax, 64);
        a.jbe(chunk);
        a.mov(ax, 64);
        c.Bind(chunk);
        a.mov(__word_ptr[Dap + 2], ax);
        a.mov(si, Dap);
        a.mov(dl, __byte_ptr[BootDrive]);
        a.mov(ah, 0x42);
        a.@int(0x13);
        a.jc(error);
        a.mov(ax, __word_ptr[Dap + 2]);
        a.sub(__word_ptr[SectorsLeft], ax);
        a.add(__word_ptr[Dap + 8], ax);
        a.shl(ax, 5);
        a.add(__word_ptr[Dap + 6], ax);
        a.jmp(read);

        c.Bind(loaded);
        a.mov(dl, __byte_ptr[BootDrive]);
        a.db(0xEA, 0x00, 0x02, 0x00, 0x10); // ljmp 0x1000:0x0200 (start_of_setup)

        c.Bind(error);
        a.mov(si, Message);
        var print = c.Local();
        var halt = c.Local();
        c.Bind(print);
        a.lodsb();
        a.test(al, al);
        a.jz(halt);
        a.mov(ah, 0x0E);
        a.mov(bx, 0x0007);
        a.@int(0x10);
        a.jmp(print);
        c.Bind(halt);
        a.cli();
        a.hlt();
        a.jmp(halt);

        var (code, symbols) = c.Assemble();
        var sector = new byte[512];
        code.CopyTo(sector, 0);
        var dap = (int)(Dap - KernelLayout.BootSector);
        sector[dap] = 0x10;
        BitConverter.TryWriteBytes(sector.AsSpan(dap + 6), (ushort)(KernelLayout.ImageLoad >> 4));
        BitConverter.TryWriteBytes(sector.AsSpan((int)(SectorsLeft - KernelLayout.BootSector)), (ushort)sectors);
        System.Text.Encoding.ASCII.GetBytes(ErrorText).CopyTo(sector, (int)(Message - KernelLayout.BootSector));
        sector[0x1FE] = 0x55;
        sector[0x1FF] = 0xAA;
        return (sector, symbols);
    }
}
