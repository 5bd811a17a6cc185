using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Tests.CrossCheck;

/// <summary>
/// A test guest disk image assembled with Iced: a boot sector that loads a 48-sector payload to 0000:8000 with
/// INT 13h AH=42h and jumps to the real-mode main at 0x8200. The payload holds, at fixed addresses, serial
/// routines for 16-, 32- and 64-bit code (COM1 through direct port I/O, polling LSR.THRE), the test's real-mode,
/// protected-mode and long-mode mains, interrupt handlers, an AP trampoline (SIPI vector 0x0C) and static tables:
/// a flat GDT, one GDT per CPU whose 0x28 descriptor has that CPU's per-CPU area as base (the AP's "gs base"),
/// and a 32-bit IDT. Everything is placed by address, so chunks assembled separately can call one another.
/// </summary>
internal sealed class CrossImage
{
    public const int PayloadSectors = 48;
    public const ulong PayloadBase = 0x8000;

    // Serial routines (each preserves every register): putc(AL), puts(SI/ESI/RSI, zero-terminated), hex(EAX/RAX, CL digits).
    public const ulong Putc16 = 0x8000, Puts16 = 0x8040, Hex16 = 0x8080, RealMain = 0x8200;
    public const ulong Putc32 = 0x9000, Puts32 = 0x9040, Hex32 = 0x9080, FindMadt = 0x9100, Pm32Entry = 0x9400;
    public const ulong NmiHandler = 0xA000, Vector40Handler = 0xA100, Vector50Handler = 0xA200, ApIpiHandler = 0xA300, Ap32 = 0xA400;
    public const ulong Putc64 = 0xB000, Puts64 = 0xB040, Hex64 = 0xB080, LongEntry = 0xB100;
    public const ulong Trampoline = 0xC000;
    public const ulong Gdt = 0xD000, GdtDescriptor = 0xD080, PerCpuGdt = 0xD100, PerCpuGdtDescriptor = 0xD400, Idt = 0xD800, IdtDescriptor = 0xDF00;

    // Variables in low memory (below the boot sector, above the BDA).
    public const ulong BootDrive = 0x600, Dap = 0x610, MadtStatus = 0x9F0, LapicAddress = 0x9F4, IoApicCount = 0x9F8, CpuCount = 0x9FC, ApicIds = 0xA00;
    public const ulong Counter = 0xB00, Bitmap = 0xB04, IpiCount = 0xB08, Flags = 0xB0C, NmiCount = 0xB10;
    public const ulong PerCpuArea = 0x40000, ApStacks = 0x50000, PageTables = 0x70000;
    public const int MaxCpus = 8;

    private readonly byte[] _payload = new byte[PayloadSectors * 512];

    public CrossImage()
    {
        Array.Fill(_payload, (byte)0xF4); // hlt everywhere nothing is placed
        SerialLibrary(16, Putc16, Puts16, Hex16);
        SerialLibrary(32, Putc32, Puts32, Hex32);
        SerialLibrary(64, Putc64, Puts64, Hex64);
        Tables();
        MadtFinder();
        Place(16, Trampoline, a =>
        {
            a.cli();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(eax, 1);
            a.cpuid();
            a.shr(ebx, 24);
            a.shl(bx, 3);
            a.lgdt(__[bx + (int)PerCpuGdtDescriptor]); // this CPU's own GDT
            a.mov(eax, cr0);
            a.or(eax, 1);
            a.mov(cr0, eax);
            FarJump(a, 0x08, Ap32);
        });
        Place(32, Ap32, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(ax, 0x28);
            a.mov(gs, ax); // gs base = this CPU's per-CPU area, from its own GDT
            a.mov(eax, 1);
            a.cpuid();
            a.shr(ebx, 24);
            a.mov(esi, ebx);
            a.lea(esp, __[esi * 8 + 8]);
            a.shl(esp, 7);
            a.add(esp, (int)ApStacks); // 1 KiB stack per CPU
            a.mov(__dword_ptr.gs[0], esi);
            a.sgdt(__.gs[8]); // limit at +8, base at +10
            a.mov(eax, 1);
            a.@lock.xadd(__dword_ptr[Counter], eax);
            a.mov(__dword_ptr.gs[16], eax); // arrival order (not printed: it is not deterministic)
            a.@lock.bts(__dword_ptr[Bitmap], esi);
            a.lidt(__[IdtDescriptor]);
            a.mov(eax, __dword_ptr[0xFEE000F0]);
            a.or(eax, 0x1FF);
            a.mov(__dword_ptr[0xFEE000F0], eax); // software-enable the local APIC, spurious vector 0xFF
            a.sti();
            var idle = a.CreateLabel();
            a.Label(ref idle);
            a.hlt();
            a.jmp(idle);
        });
        Place(32, ApIpiHandler, a =>
        {
            a.@lock.inc(__dword_ptr[IpiCount]);
            a.mov(__dword_ptr[0xFEE000B0], 0); // EOI
            a.iretd();
        });
    }

    /// <summary>Code run in real mode at 0x8200 after the boot sector loaded the payload (DS = ES = SS = 0, SP = 0x7C00).</summary>
    public CrossImage Real(Action<Assembler> build)
    {
        Place(16, RealMain, build);
        return this;
    }

    /// <summary>Code run in flat 32-bit protected mode (CS 0x08, data 0x10, ESP 0x7B00, interrupts off).</summary>
    public CrossImage Protected(Action<Assembler> build)
    {
        Place(32, Pm32Entry, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(fs, ax);
            a.mov(gs, ax);
            a.mov(esp, 0x7B00);
            build(a);
        });
        return this;
    }

    /// <summary>Code run in 64-bit mode (CS 0x18, data 0x20, RSP 0x7B00, identity paging of 4 GiB with 2 MiB pages).</summary>
    public CrossImage Long(Action<Assembler> build)
    {
        Place(64, LongEntry, a =>
        {
            a.mov(ax, 0x20);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x7B00);
            build(a);
        });
        return this;
    }

    /// <summary>Places a 32-bit interrupt handler at <paramref name="address"/> (one of the handler slots).</summary>
    public CrossImage Handler(ulong address, Action<Assembler> build)
    {
        Place(32, address, build);
        return this;
    }

    /// <summary>The disk: boot sector, payload, then <paramref name="tail"/> (padded to whole sectors).</summary>
    public byte[] Build(byte[]? tail = null)
    {
        var boot = Assemble(16, 0x7C00, a =>
        {
            var fail = a.CreateLabel();
            a.cli();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7C00);
            a.sti();
            a.cld();
            a.mov(__byte_ptr[BootDrive], dl);
            a.mov(__word_ptr[Dap], 0x10);
            a.mov(__word_ptr[Dap + 2], PayloadSectors);
            a.mov(__word_ptr[Dap + 4], (ushort)PayloadBase);
            a.mov(__word_ptr[Dap + 6], 0);
            a.mov(__dword_ptr[Dap + 8], 1);
            a.mov(__dword_ptr[Dap + 12], 0);
            a.mov(si, (ushort)Dap);
            a.mov(ah, 0x42);
            a.@int(0x13);
            a.jc(fail);
            FarJump(a, 0, RealMain);
            a.Label(ref fail);
            a.mov(dx, 0x3F8);
            a.mov(al, (byte)'!');
            a.@out(dx, al);
            a.mov(al, 0x7E);
            a.@out(0xF4, al);
            a.hlt();
        });
        var sector = new byte[512];
        boot.CopyTo(sector, 0);
        sector[510] = 0x55;
        sector[511] = 0xAA;
        tail ??= [];
        var disk = new byte[512 + _payload.Length + ((tail.Length + 511) / 512 * 512)];
        sector.CopyTo(disk, 0);
        _payload.CopyTo(disk, 512);
        tail.CopyTo(disk, 512 + _payload.Length);
        return disk;
    }

    // ---- emit helpers usable from test code ----

    /// <summary>Prints <paramref name="text"/> (call-over-the-string, so it works at any address and bitness).</summary>
    public static void Print(Assembler a, string text)
    {
        var after = a.CreateLabel();
        a.call(after);
        a.db([.. text.Select(c => (byte)c), 0]);
        a.Label(ref after);
        a.db(0x5E); // pop si / esi / rsi
        a.call(a.Bitness switch { 16 => Puts16, 32 => Puts32, _ => Puts64 });
    }

    /// <summary>Prints EAX (RAX in 64-bit code) as <paramref name="digits"/> hex digits.</summary>
    public static void Hex(Assembler a, int digits)
    {
        a.db(0x51); // push cx / ecx / rcx
        a.mov(cl, (byte)digits);
        a.call(a.Bitness switch { 16 => Hex16, 32 => Hex32, _ => Hex64 });
        a.db(0x59);
    }

    /// <summary>Writes AL = <paramref name="value"/> to the debug-exit port.</summary>
    public static void Exit(Assembler a, byte value)
    {
        a.mov(al, value);
        a.@out(0xF4, al);
        a.cli();
        a.hlt();
    }

    /// <summary>From real mode: enables A20 (INT 15h AX=2401h), loads the flat GDT and enters <see cref="Protected"/>.</summary>
    public static void EnterProtected(Assembler a)
    {
        a.mov(ax, 0x2401);
        a.@int(0x15);
        a.cli();
        a.lgdt(__[GdtDescriptor]);
        a.mov(eax, cr0);
        a.or(eax, 1);
        a.mov(cr0, eax);
        FarJump(a, 0x08, Pm32Entry);
    }

    /// <summary>From 32-bit protected mode: identity-maps 4 GiB with 2 MiB pages, sets PAE, LME, PG and enters <see cref="Long"/>.</summary>
    public static void EnterLong(Assembler a)
    {
        // PML4[0] -> PDPT; PDPT[0..3] -> four page directories; each PDE maps 2 MiB.
        a.mov(edi, (uint)PageTables);
        a.xor(eax, eax);
        a.mov(ecx, 0x6000 / 4);
        a.rep.stosd();
        a.mov(__dword_ptr[PageTables], (uint)(PageTables + 0x1000) | 3);
        for (uint i = 0; i < 4; i++) a.mov(__dword_ptr[PageTables + 0x1000 + i * 8], (uint)(PageTables + 0x2000 + i * 0x1000) | 3);
        var fill = a.CreateLabel();
        a.mov(edi, (uint)(PageTables + 0x2000));
        a.mov(eax, 0x83); // present, writable, PS
        a.xor(edx, edx);
        a.mov(ecx, 2048);
        a.Label(ref fill);
        a.mov(__dword_ptr[edi], eax);
        a.mov(__dword_ptr[edi + 4], edx);
        a.add(eax, 0x200000);
        a.adc(edx, 0);
        a.add(edi, 8);
        a.dec(ecx);
        a.jnz(fill);
        a.mov(eax, cr4);
        a.or(eax, 1 << 5);
        a.mov(cr4, eax);
        a.mov(eax, (uint)PageTables);
        a.mov(cr3, eax);
        a.mov(ecx, 0xC0000080);
        a.rdmsr();
        a.or(eax, 1 << 8);
        a.wrmsr();
        a.mov(eax, cr0);
        a.or(eax, 1u << 31);
        a.mov(cr0, eax);
        a.db(0xEA, unchecked((byte)LongEntry), (byte)(LongEntry >> 8), 0, 0, 0x18, 0x00); // jmp far 0x18:LongEntry
    }

    /// <summary>Writes ICR (high then low) and waits until the delivery-status bit reads idle.</summary>
    public static void Icr(Assembler a, Action<Assembler> destinationInEax, uint low)
    {
        destinationInEax(a);
        a.shl(eax, 24);
        a.mov(__dword_ptr[0xFEE00310], eax);
        a.mov(__dword_ptr[0xFEE00300], low);
        var wait = a.CreateLabel();
        a.Label(ref wait);
        a.pause();
        a.test(__dword_ptr[0xFEE00300], 0x1000);
        a.jnz(wait);
    }

    // ---- internals ----

    /// <summary>Places code for <paramref name="bitness"/> at a fixed <paramref name="address"/> of the payload.</summary>
    public void Place(int bitness, ulong address, Action<Assembler> build)
    {
        var code = Assemble(bitness, address, build);
        int offset = checked((int)(address - PayloadBase));
        if (offset + code.Length > _payload.Length) throw new InvalidOperationException($"Chunk at 0x{address:X} runs past the payload.");
        code.CopyTo(_payload, offset);
    }

    private void Put(ulong address, ulong value, int size)
    {
        for (int i = 0; i < size; i++) _payload[(int)(address - PayloadBase) + i] = (byte)(value >> (8 * i));
    }

    private static byte[] Assemble(int bitness, ulong address, Action<Assembler> build)
    {
        var a = new Assembler(bitness);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }

    private static void FarJump(Assembler a, ushort selector, ulong target) =>
        a.db(0xEA, (byte)target, (byte)(target >> 8), (byte)selector, (byte)(selector >> 8));

    private void Tables()
    {
        ulong[] gdt = [0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF, 0x00AF9A000000FFFF, 0x00CF92000000FFFF];
        for (int i = 0; i < gdt.Length; i++) Put(Gdt + (ulong)i * 8, gdt[i], 8);
        Put(GdtDescriptor, (ulong)(gdt.Length * 8 - 1), 2);
        Put(GdtDescriptor + 2, Gdt, 4);
        for (int id = 0; id < MaxCpus; id++)
        {
            ulong own = PerCpuGdt + (ulong)id * 0x40;
            for (int i = 0; i < gdt.Length; i++) Put(own + (ulong)i * 8, gdt[i], 8);
            ulong b = PerCpuArea + (ulong)id * 0x1000;
            // 0x28: data, byte granular, limit 0xFFF, base = per-CPU area
            ulong gs = 0x0FFF | ((b & 0xFFFFFF) << 16) | (0x92UL << 40) | (0x40UL << 48) | ((b >> 24) << 56);
            Put(own + 0x28, gs, 8);
            Put(PerCpuGdtDescriptor + (ulong)id * 8, 0x2F, 2);
            Put(PerCpuGdtDescriptor + (ulong)id * 8 + 2, own, 4);
        }

        (int Vector, ulong Handler)[] gates = [(2, NmiHandler), (0x40, Vector40Handler), (0x41, ApIpiHandler), (0x50, Vector50Handler)];
        foreach (var (vector, handler) in gates)
        {
            ulong entry = (handler & 0xFFFF) | (0x08UL << 16) | (0x8E00UL << 32) | ((handler >> 16) << 48);
            Put(Idt + (ulong)vector * 8, entry, 8);
        }

        Put(IdtDescriptor, 0x60 * 8 - 1, 2);
        Put(IdtDescriptor + 2, Idt, 4);
    }

    private void SerialLibrary(int bits, ulong putc, ulong puts, ulong hex)
    {
        Place(bits, putc, a =>
        {
            var wait = a.CreateLabel();
            a.db(0x52, 0x50); // push dx, ax (native width)
            a.mov(dx, 0x3FD);
            a.Label(ref wait);
            a.@in(al, dx);
            a.test(al, 0x20);
            a.jz(wait);
            a.db(0x58); // pop ax
            a.mov(dx, 0x3F8);
            a.@out(dx, al);
            a.db(0x5A); // pop dx
            a.ret();
        });
        Place(bits, puts, a =>
        {
            var next = a.CreateLabel();
            var done = a.CreateLabel();
            a.db(0x50, 0x56); // push ax, si
            a.Label(ref next);
            a.lodsb();
            a.test(al, al);
            a.jz(done);
            a.call(putc);
            a.jmp(next);
            a.Label(ref done);
            a.db(0x5E, 0x58);
            a.ret();
        });
        Place(bits, hex, a =>
        {
            var next = a.CreateLabel();
            var done = a.CreateLabel();
            var digit = a.CreateLabel();
            a.db(0x50, 0x53, 0x51); // push ax, bx, cx (native width)
            if (bits == 16) a.db(0x66, 0x50, 0x66, 0x53, 0x66, 0x51); // and the 32-bit halves in 16-bit code
            a.movzx(ecx, cl);
            a.Label(ref next);
            a.dec(ecx);
            a.js(done);
            if (bits == 64)
            {
                a.mov(rbx, rax);
                a.shl(ecx, 2);
                a.shr(rbx, cl);
                a.shr(ecx, 2);
            }
            else
            {
                a.mov(ebx, eax);
                a.shl(ecx, 2);
                a.shr(ebx, cl);
                a.shr(ecx, 2);
            }

            a.and(bl, 0xF);
            a.add(bl, (byte)'0');
            a.cmp(bl, (byte)'9');
            a.jbe(digit);
            a.add(bl, 7);
            a.Label(ref digit);
            a.db(0x50);
            if (bits == 16) a.db(0x66, 0x50);
            a.mov(al, bl);
            a.call(putc);
            if (bits == 16) a.db(0x66, 0x58);
            a.db(0x58);
            a.jmp(next);
            a.Label(ref done);
            if (bits == 16) a.db(0x66, 0x59, 0x66, 0x5B, 0x66, 0x58);
            a.db(0x59, 0x5B, 0x58);
            a.ret();
        });
    }

    /// <summary>
    /// 32-bit routine: finds the RSDP (EBDA's first KiB, then 0xE0000–0xFFFFF), checks its checksum, walks the RSDT
    /// to the "APIC" table, checks its checksum, and records the local APIC address, the enabled local APIC IDs
    /// (in MADT order), their count and the number of I/O APIC entries. MadtStatus: bit 0 RSDP found, bit 1 RSDP
    /// checksum, bit 2 MADT found, bit 3 MADT checksum.
    /// </summary>
    private void MadtFinder() => Place(32, FindMadt, a =>
    {
        var scan = a.CreateLabel();
        var scanHigh = a.CreateLabel();
        var found = a.CreateLabel();
        var fail = a.CreateLabel();
        var tryNext = a.CreateLabel();
        a.pushad();
        a.xor(eax, eax);
        a.mov(__dword_ptr[MadtStatus], eax);
        a.mov(__dword_ptr[CpuCount], eax);
        a.mov(__dword_ptr[IoApicCount], eax);
        // EBDA
        a.movzx(esi, __word_ptr[0x40E]);
        a.shl(esi, 4);
        a.lea(edi, __[esi + 0x400]);
        a.Label(ref scan);
        a.cmp(__dword_ptr[esi], 0x20445352); // "RSD "
        a.jne(tryNext);
        a.cmp(__dword_ptr[esi + 4], 0x20525450); // "PTR "
        a.je(found);
        a.Label(ref tryNext);
        a.add(esi, 16);
        a.cmp(esi, edi);
        a.jb(scan);
        a.cmp(edi, 0x100000);
        a.jae(fail);
        a.Label(ref scanHigh);
        a.mov(esi, 0xE0000);
        a.mov(edi, 0x100000);
        a.jmp(scan);
        a.Label(ref found);
        a.or(__dword_ptr[MadtStatus], 1);
        Checksum(a, 20, 2);
        // RSDT
        a.mov(esi, __dword_ptr[esi + 16]);
        a.mov(ecx, __dword_ptr[esi + 4]);
        a.sub(ecx, 36);
        a.shr(ecx, 2);
        a.lea(ebx, __[esi + 36]);
        var entry = a.CreateLabel();
        var madt = a.CreateLabel();
        a.Label(ref entry);
        a.test(ecx, ecx);
        a.jz(fail);
        a.mov(esi, __dword_ptr[ebx]);
        a.cmp(__dword_ptr[esi], 0x43495041); // "APIC"
        a.je(madt);
        a.add(ebx, 4);
        a.dec(ecx);
        a.jmp(entry);
        a.Label(ref madt);
        a.or(__dword_ptr[MadtStatus], 4);
        a.mov(ecx, __dword_ptr[esi + 4]);
        Checksum(a, 0, 8);
        a.mov(eax, __dword_ptr[esi + 36]);
        a.mov(__dword_ptr[LapicAddress], eax);
        a.lea(edi, __[esi + ecx]); // end
        a.add(esi, 44);
        var walk = a.CreateLabel();
        var step = a.CreateLabel();
        var notLapic = a.CreateLabel();
        a.Label(ref walk);
        a.cmp(esi, edi);
        a.jae(fail); // (done)
        a.cmp(__byte_ptr[esi], 0);
        a.jne(notLapic);
        a.test(__byte_ptr[esi + 4], 1);
        a.jz(step);
        a.mov(eax, __dword_ptr[CpuCount]);
        a.mov(dl, __byte_ptr[esi + 3]);
        a.mov(__byte_ptr[eax + (int)ApicIds], dl);
        a.inc(__dword_ptr[CpuCount]);
        a.jmp(step);
        a.Label(ref notLapic);
        a.cmp(__byte_ptr[esi], 1);
        a.jne(step);
        a.inc(__dword_ptr[IoApicCount]);
        a.Label(ref step);
        a.movzx(eax, __byte_ptr[esi + 1]);
        a.test(eax, eax);
        a.jz(fail);
        a.add(esi, eax);
        a.jmp(walk);
        a.Label(ref fail);
        a.popad();
        a.ret();
    });

    /// <summary>Sums <paramref name="length"/> bytes (ECX when 0) from ESI; sets <paramref name="bit"/> of MadtStatus when the sum is 0. Keeps ESI, ECX.</summary>
    private static void Checksum(Assembler a, int length, int bit)
    {
        var loop = a.CreateLabel();
        var bad = a.CreateLabel();
        a.push(ecx);
        if (length != 0) a.mov(ecx, length);
        a.xor(eax, eax);
        a.xor(edx, edx);
        a.Label(ref loop);
        a.add(al, __byte_ptr[esi + edx]);
        a.inc(edx);
        a.cmp(edx, ecx);
        a.jb(loop);
        a.pop(ecx);
        a.test(al, al);
        a.jnz(bad);
        a.or(__dword_ptr[MadtStatus], bit);
        a.Label(ref bad);
    }
}
