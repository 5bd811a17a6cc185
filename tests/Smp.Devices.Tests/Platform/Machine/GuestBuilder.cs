using Iced.Intel;
using Smp.Devices.Memory;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>
/// Test guests until the real BIOS lands: a 4 KiB ROM whose reset vector jumps to 0000:8000 and whose first
/// bytes are a BIOS trap stub (BiosTrap.EmitTrap for the first trap port; iret at F000:F000), a flat GDT, a real-mode BSP entry that
/// switches to 32-bit protected mode and jumps to <see cref="Bsp32"/>, and an AP trampoline at 0x7000
/// (SIPI vector 7) where each AP loads its own GDT, enters protected mode, sets its GS base and reports in.
/// </summary>
internal static class GuestBuilder
{
    public const ulong RealEntry = 0x8000, Bsp32 = 0x9000, Ap32 = 0xA000, Trampoline = 0x7000;
    public const ulong Counter = 0x5000, Bitmap = 0x5004, PerCpuGdt = 0x20000, GdtDescriptors = 0x6000, PerCpuArea = 0x100000;
    public const ulong Gdt = 0x500, GdtDescriptor = 0x520, Idt = 0x3000, IdtDescriptor = 0x3800;
    public const ushort StubOffset = 0xF000;

    public static byte[] Assemble(int bitness, ulong address, Action<Assembler> build)
    {
        var a = new Assembler(bitness);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }

    public static byte[] Rom()
    {
        var rom = new byte[0x1000];
        Array.Fill(rom, (byte)0xF4);
        Assemble(16, StubOffset, a =>
        {
            BiosTrap.EmitTrap(a, BiosTrap.TrapPortBase);
            a.iret();
        }).CopyTo(rom, 0);
        byte[] jump = [0xEA, (byte)(RealEntry & 0xFF), (byte)(RealEntry >> 8), 0x00, 0x00]; // jmp far 0000:8000
        jump.CopyTo(rom, 0xFF0);
        return rom;
    }

    public static MachineConfig Config(int cpus, long budget = 50_000_000) => new()
    {
        Cpus = cpus,
        MemoryMiB = 32,
        RomImage = Rom(),
        MaxInstructions = budget,
    };

    /// <summary>Loads the common guest: GDTs, BSP entry, AP trampoline, and the BSP's 32-bit code.</summary>
    public static void Load(Smp.Devices.Platform.Machine machine, Action<Assembler> bsp32)
    {
        var m = machine.Memory;
        ulong[] gdt = [0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF];
        for (int i = 0; i < gdt.Length; i++) m.Write(Gdt + (ulong)i * 8, 8, gdt[i]);
        m.Write(GdtDescriptor, 2, 23);
        m.Write(GdtDescriptor + 2, 4, Gdt);
        for (int id = 0; id < machine.Cores.Count; id++)
        {
            ulong own = PerCpuGdt + (ulong)id * 0x100;
            for (int i = 0; i < gdt.Length; i++) m.Write(own + (ulong)i * 8, 8, gdt[i]);
            m.Write(GdtDescriptors + (ulong)id * 8, 2, 23);
            m.Write(GdtDescriptors + (ulong)id * 8 + 2, 4, own);
        }

        m.Load(RealEntry, Assemble(16, RealEntry, a => EnterProtectedMode(a, Bsp32)));
        m.Load(Trampoline, Assemble(16, Trampoline, a =>
        {
            a.cli();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(eax, 1);
            a.cpuid();
            a.shr(ebx, 24);
            a.shl(bx, 3);
            a.lgdt(__[bx + (int)GdtDescriptors]); // this CPU's own GDT
            a.mov(eax, cr0);
            a.or(eax, 1);
            a.mov(cr0, eax);
            a.db(0xEA, (byte)(Ap32 & 0xFF), (byte)(Ap32 >> 8), 0x08, 0x00); // jmp far 0x08:Ap32
        }));
        m.Load(Ap32, Assemble(32, Ap32, a =>
        {
            a.lidt(__[IdtDescriptor]);
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(gs, ax);
            a.mov(eax, 1);
            a.cpuid();
            a.shr(ebx, 24);
            a.mov(esi, ebx);
            a.mov(eax, esi);
            a.shl(eax, 10);
            a.add(eax, 0x40400);
            a.mov(esp, eax); // a 1 KiB stack per AP below 0x80000
            a.mov(eax, esi);
            a.shl(eax, 12);
            a.add(eax, (int)PerCpuArea);
            a.xor(edx, edx);
            a.mov(ecx, 0xC0000101); // IA32_GS_BASE
            a.wrmsr();
            a.db(0x65, 0x89, 0x35, 0, 0, 0, 0); // mov gs:[0], esi
            a.@lock.inc(__dword_ptr[Counter]);
            a.@lock.bts(__dword_ptr[Bitmap], esi);
            var idle = a.CreateLabel();
            a.Label(ref idle);
            a.hlt();
            a.jmp(idle);
        }));
        m.Load(Bsp32, Assemble(32, Bsp32, a =>
        {
            a.mov(ax, 0x10);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x7C00);
            bsp32(a);
        }));
    }

    /// <summary>From real mode with interrupts off: loads the flat GDT, sets CR0.PE and jumps to 0x08:<paramref name="target"/> (below 64 KiB).</summary>
    public static void EnterProtectedMode(Assembler a, ulong target)
    {
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.lgdt(__[GdtDescriptor]);
        a.mov(eax, cr0);
        a.or(eax, 1);
        a.mov(cr0, eax);
        a.db(0xEA, (byte)(target & 0xFF), (byte)(target >> 8), 0x08, 0x00); // jmp far 0x08:target
    }

    /// <summary>Emits the SDM's INIT / SIPI / SIPI sequence to every other CPU, then waits for <paramref name="aps"/> reports.</summary>
    public static void BringUp(Assembler a, int aps)
    {
        a.mov(__dword_ptr[0xFEE00280], 0); // clear ESR
        a.mov(__dword_ptr[0xFEE00310], 0);
        Icr(a, 0x000C_4500); // INIT assert, all excluding self
        Icr(a, 0x000C_8500); // INIT level de-assert
        Icr(a, 0x000C_4600 | (uint)(Trampoline >> 12)); // SIPI
        Icr(a, 0x000C_4600 | (uint)(Trampoline >> 12)); // second SIPI: ignored by started APs
        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.pause();
        a.cmp(__dword_ptr[Counter], aps);
        a.jne(spin);
    }

    /// <summary>Writes ICR low and waits until its delivery-status bit reads idle (as Linux does).</summary>
    public static void Icr(Assembler a, uint value)
    {
        a.mov(__dword_ptr[0xFEE00300], value);
        var wait = a.CreateLabel();
        a.Label(ref wait);
        a.test(__dword_ptr[0xFEE00300], 0x1000);
        a.jnz(wait);
    }

    /// <summary>Writes AL to the debug-exit port.</summary>
    /// <summary>OUT imm8, AL with <paramref name="value"/> in AL.</summary>
    public static void Out(Assembler a, ushort port, byte value)
    {
        a.mov(al, value);
        a.@out((byte)port, al);
    }

    public static void Exit(Assembler a, byte value)
    {
        a.mov(al, value);
        a.@out(0xF4, al);
        a.hlt();
    }

    /// <summary>Writes a 32-bit interrupt gate for <paramref name="vector"/> to <paramref name="handler"/> and the IDT descriptor.</summary>
    public static void Gate(PhysicalMemory m, int vector, ulong handler)
    {
        ulong entry = (handler & 0xFFFF) | (0x08UL << 16) | (0x8E00UL << 32) | ((handler >> 16) << 48);
        m.Write(Idt + (ulong)vector * 8, 8, entry);
        m.Write(IdtDescriptor, 2, 0x7FF);
        m.Write(IdtDescriptor + 2, 4, Idt);
    }
}
