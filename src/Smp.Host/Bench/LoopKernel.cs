using Iced.Intel;
using Smp.Devices.Cpu.Benchmark;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Bench;

/// <summary>
/// Multiboot v1 kernels (a.out kludge, loaded at 1 MiB, so smp run --kernel and QEMU's -kernel boot the same bytes) that
/// enter 64-bit long mode, run a benchmark loop a given number of times and leave through isa-debug-exit (port 0xF4,
/// value 0: exit code 1 under both).
/// </summary>
internal static class LoopKernel
{
    private const uint LoadAddress = 0x10_0000, Entry32 = LoadAddress + 0x40, Gdt = LoadAddress + 0x200, Entry64 = LoadAddress + 0x400;
    private const uint Pml4 = 0x20_0000, DataBase = 0x30_0000;

    /// <summary>The p01 loop (<see cref="CpuWorkloads.EmitP01Body"/>, 16 instructions per iteration), <paramref name="iterations"/> passes.</summary>
    public static byte[] P01(long iterations) => Build(a =>
    {
        a.mov(rsi, (long)DataBase);
        a.mov(rcx, iterations);
        a.mov(ebx, 1);
        a.xor(edx, edx);
        a.xor(edi, edi);
        CpuWorkloads.EmitP01Body(a);
    });

    /// <summary>
    /// <paramref name="bytes"/> bytes written to COM1 as a polling driver writes them: wait for LSR.THRE (bit 5), then
    /// write THR (PC16550D data sheet, line status register).
    /// </summary>
    public static byte[] Com1Flood(long bytes) => Build(a =>
    {
        var next = a.CreateLabel();
        var poll = a.CreateLabel();
        a.mov(rcx, bytes);
        a.Label(ref next);
        a.mov(edx, 0x3FD);
        a.Label(ref poll);
        a.@in(al, dx);
        a.test(al, 0x20);
        a.jz(poll);
        a.mov(edx, 0x3F8);
        a.mov(eax, ecx);
        a.and(eax, 0x3F);
        a.add(eax, 0x30);
        a.@out(dx, al);
        a.dec(rcx);
        a.jnz(next);
    });

    private static byte[] Build(Action<Assembler> body)
    {
        var image = new byte[0x800];
        // Multiboot header (Multiboot specification 0.6.96 §3.1): flags bit 16 = the address fields are valid.
        const uint magic = 0x1BAD_B002, flags = 1 << 16;
        uint[] header = [magic, flags, unchecked(0u - magic - flags), LoadAddress, LoadAddress, 0, 0, Entry32];
        Buffer.BlockCopy(header, 0, image, 0, header.Length * 4);

        // GDT: null, 64-bit code (0x08), data (0x10); the pseudo-descriptor after it.
        ulong[] gdt = [0, 0x00AF_9A00_0000_FFFFUL, 0x00CF_9200_0000_FFFFUL];
        Buffer.BlockCopy(gdt, 0, image, (int)(Gdt - LoadAddress), 24);
        BitConverter.TryWriteBytes(image.AsSpan((int)(Gdt - LoadAddress) + 32), (ushort)23);
        BitConverter.TryWriteBytes(image.AsSpan((int)(Gdt - LoadAddress) + 34), Gdt);

        // 32-bit protected mode, paging off (Multiboot machine state): identity-map 8 MiB with 2 MiB pages, enable PAE,
        // EFER.LME and paging (SDM Vol. 3A §10.8.5), load the GDT and jump to the 64-bit code.
        var a32 = new Assembler(32);
        a32.cli();
        a32.mov(edi, Pml4);
        a32.xor(eax, eax);
        a32.mov(ecx, 3 * 1024);
        a32.rep.stosd();
        a32.mov(__dword_ptr[Pml4], Pml4 + 0x1003);
        a32.mov(__dword_ptr[Pml4 + 0x1000], Pml4 + 0x2003);
        for (uint i = 0; i < 4; i++) a32.mov(__dword_ptr[Pml4 + 0x2000 + i * 8], (i << 21) | 0x83);
        a32.mov(eax, Pml4);
        a32.mov(cr3, eax);
        a32.mov(eax, cr4);
        a32.or(eax, 0x20);
        a32.mov(cr4, eax);
        a32.mov(ecx, 0xC000_0080);
        a32.rdmsr();
        a32.or(eax, 0x100);
        a32.wrmsr();
        a32.mov(eax, cr0);
        a32.or(eax, unchecked((int)0x8000_0001));
        a32.mov(cr0, eax);
        a32.lgdt(__[Gdt + 32]);
        a32.db(0xEA);
        a32.dd(Entry64);
        a32.dw(0x08);
        Place(image, a32, Entry32);

        var a64 = new Assembler(64);
        a64.mov(eax, 0x10);
        a64.mov(ds, eax);
        a64.mov(es, eax);
        a64.mov(ss, eax);
        a64.mov(esp, Pml4);
        body(a64);
        a64.xor(eax, eax);
        a64.@out(0xF4, eax);
        a64.hlt();
        Place(image, a64, Entry64);
        return image;
    }

    private static void Place(byte[] image, Assembler a, uint address)
    {
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        stream.ToArray().CopyTo(image, (int)(address - LoadAddress));
    }
}
