using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>
/// arch/x86/boot: the 16-bit setup at 0x10200 (CS = DS = 0x1000): start_of_setup, main, detect_memory
/// (E820 into the zero page), go_to_protected_mode and protected_mode_jump into startup_32.
/// </summary>
internal static class Setup16
{
    private const ushort Segment = (ushort)(KernelLayout.ImageLoad >> 4);
    private const ushort DataOffset = (ushort)(KernelLayout.SetupData - KernelLayout.ImageLoad);
    private const ushort GdtDescriptor = DataOffset + 0x20;
    private const ushort NullIdtDescriptor = DataOffset + 0x28;
    private const ushort BootDrive = DataOffset + 0x30;

    /// <summary>The boot GDT: null, 0x08 32-bit code, 0x10 64-bit code, 0x18 data (flat).</summary>
    public static readonly ulong[] BootGdt = [0, 0x00cf9b000000ffff, 0x00af9b000000ffff, 0x00cf93000000ffff];

    /// <summary>Assembles the setup code.</summary>
    /// <returns>The bytes (placed at image offset 0x200) and symbols.</returns>
    public static (byte[] Bytes, List<KernelSymbol> Symbols) Build()
    {
        var maxSize = (int)(KernelLayout.SetupData - KernelLayout.Setup);
        var c = new CodeChunk("setup", 16, KernelLayout.Setup - KernelLayout.ImageLoad, KernelLayout.ImageLoad, maxSize);
        var a = c.A;

        c.Function("start_of_setup");
        a.mov(ax, cs);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.cld();
        a.mov(__byte_ptr[BootDrive], dl);
        a.call(c.L("main"));

        Begin(c, "main");
        a.call(c.L("detect_memory"));
        a.call(c.L("go_to_protected_mode"));
        End(c);

        Begin(c, "detect_memory");
        a.call(c.L("detect_memory_e820"));
        End(c);

        // detect_memory_e820: INT 15h E820, 20-byte entries into boot_params.e820_table.
        Begin(c, "detect_memory_e820");
        a.push(es);
        a.mov(ax, (ushort)(KernelLayout.ZeroPage >> 4));
        a.mov(es, ax);
        a.mov(di, 0x2D0);
        a.xor(ebx, ebx);
        a.xor(si, si);
        var next = c.Local();
        var done = c.Local();
        var bad = c.Local();
        c.Bind(next);
        a.mov(eax, 0xE820u);
        a.mov(edx, 0x534D4150u);
        a.mov(ecx, 20u);
        a.push(di);
        a.push(si);
        a.@int(0x15);
        a.pop(si);
        a.pop(di);
        a.jc(done);
        a.cmp(eax, 0x534D4150u);
        a.jne(bad);
        a.inc(si);
        a.add(di, 20);
        a.cmp(si, 128);
        a.jae(done);
        a.test(ebx, ebx);
        a.jnz(next);
        a.jmp(done);
        c.Bind(bad);
        a.xor(si, si); // the BIOS lost 'SMAP': drop the map, as Linux does
        c.Bind(done);
        a.mov(ax, si);
        a.mov(__byte_ptr.es[0x1E8], al);
        a.pop(es);
        End(c);

        Begin(c, "go_to_protected_mode");
        a.call(c.L("realmode_switch_hook"));
        a.call(c.L("enable_a20"));
        a.call(c.L("mask_all_interrupts"));
        a.call(c.L("setup_idt"));
        a.call(c.L("setup_gdt"));
        a.jmp(c.L("protected_mode_jump"));

        // realmode_switch_hook: interrupts off, NMI masked at the CMOS index port.
        Begin(c, "realmode_switch_hook");
        a.cli();
        a.mov(al, 0x80);
        a.@out(0x70, al);
        a.@out(0x80, al);
        End(c);

        // enable_a20: the BIOS call, then fast A20 on port 0x92 (never touching bit 0, the reset).
        Begin(c, "enable_a20");
        a.mov(ax, 0x2401);
        a.@int(0x15);
        a.@in(al, 0x92);
        a.or(al, 0x02);
        a.and(al, 0xFE);
        a.@out(0x92, al);
        End(c);

        Begin(c, "mask_all_interrupts");
        a.mov(al, 0xFF);
        a.@out(0xA1, al);
        a.@out(0x80, al);
        a.@out(0x21, al);
        a.@out(0x80, al);
        End(c);

        Begin(c, "setup_idt");
        a.lidt(__[NullIdtDescriptor]);
        End(c);

        Begin(c, "setup_gdt");
        a.lgdt(__[GdtDescriptor]);
        End(c);

        // protected_mode_jump: CR0.PE, then ljmpl __BOOT_CS(0x08):startup_32 with ESI = boot_params.
        c.Function("protected_mode_jump");
        a.mov(esi, (uint)KernelLayout.ZeroPage);
        a.mov(eax, cr0);
        a.or(al, 1);
        a.mov(cr0, eax);
        var target = BitConverter.GetBytes((uint)KernelLayout.Head32);
        a.db(0x66, 0xEA, target[0], target[1], target[2], target[3], 0x08, 0x00);

        return c.Assemble();
    }

    /// <summary>The fixed data block at <see cref="KernelLayout.SetupData"/>.</summary>
    /// <returns>Its bytes.</returns>
    public static byte[] Data()
    {
        var data = new byte[0x40];
        for (var i = 0; i < BootGdt.Length; i++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(i * 8), BootGdt[i]);
        }

        BitConverter.TryWriteBytes(data.AsSpan(0x20), (ushort)((BootGdt.Length * 8) - 1));
        BitConverter.TryWriteBytes(data.AsSpan(0x22), (uint)KernelLayout.SetupData);
        return data;
    }

    private static void Begin(CodeChunk c, string name)
    {
        c.Function(name);
        c.A.push(bp);
        c.A.mov(bp, sp);
    }

    private static void End(CodeChunk c)
    {
        c.A.leave();
        c.A.ret();
    }
}
