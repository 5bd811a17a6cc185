using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// Test kernels assembled with Iced that check the boot information they receive and print it on COM1, then exit
/// through isa-debug-exit with 0 (process exit code 1): Multiboot v1 as ELF32, ELF64 and a.out kludge, and Multiboot2 as
/// ELF32. They load at 2 MiB; the first 0x40 bytes of the loaded image hold the Multiboot header, the code follows.
/// </summary>
internal static class MultibootTestKernel
{
    public const uint Base = 0x200000;
    private const int HeaderArea = 0x40, Stack = 0x4000, FileOffset = 0x1000;

    /// <summary>Multiboot v1 in an ELF32 (i386) or ELF64 (x86-64) executable.</summary>
    public static byte[] V1Elf(bool elf64)
    {
        byte[] code = Assemble(V1Code);
        byte[] image = [.. V1Header(aout: false, 0), .. code];
        return elf64 ? Elf64(image, image.Length + Stack) : Elf32(image, image.Length + Stack);
    }

    /// <summary>Multiboot v1 as a flat binary with the a.out kludge's addresses (flag 16).</summary>
    public static byte[] V1Aout()
    {
        byte[] code = Assemble(V1Code);
        int length = HeaderArea + code.Length;
        byte[] file = [.. V1Header(aout: true, (uint)length), .. code];
        W(file, HeaderArea + 1, Base + (uint)length + Stack);
        return file;
    }

    /// <summary>Multiboot2 in an ELF32 executable, with a required information request (1, 4, 6) and an entry address tag.</summary>
    public static byte[] V2Elf()
    {
        byte[] code = Assemble(V2Code);
        byte[] header = new byte[HeaderArea];
        Span<byte> h = header;
        W(h, 0, 0xE852_50D6);
        W(h, 4, 0);                                                           // i386
        W(h, 8, (uint)HeaderArea);                                                  // header_length
        W(h, 12, unchecked(0u - 0xE852_50D6 - (uint)HeaderArea));
        W(h, 16, 1); W(h, 20, 20); W(h, 24, 1); W(h, 28, 4); W(h, 32, 6);     // information request (required): cmdline, meminfo, mmap
        W(h, 40, 3); W(h, 44, 12); W(h, 48, Base + (uint)HeaderArea);              // entry address
        W(h, 56, 0); W(h, 60, 8);                                             // end tag
        byte[] image = [.. header, .. code];
        return Elf32(image, image.Length + Stack);
    }

    private static byte[] V1Header(bool aout, uint length)
    {
        byte[] header = new byte[HeaderArea];
        Span<byte> h = header;
        uint flags = aout ? 0x0001_0003u : 0x3u; // page-aligned modules, memory information (+ a.out kludge)
        W(h, 0, 0x1BAD_B002);
        W(h, 4, flags);
        W(h, 8, unchecked(0u - 0x1BAD_B002 - flags));
        if (aout)
        {
            W(h, 12, Base);                // header_addr
            W(h, 16, Base);                // load_addr
            W(h, 20, 0);                   // load_end_addr: the whole file
            W(h, 24, Base + length + Stack);   // bss_end_addr
            W(h, 28, Base + (uint)HeaderArea);   // entry_addr
        }

        return header;
    }

    private static byte[] Assemble(Action<TestKernelAssembler> build)
    {
        var a = new Assembler(32);
        var k = new TestKernelAssembler(a);
        build(k);
        k.EmitRuntime();
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Base + (uint)HeaderArea);
        return stream.ToArray();
    }

    // EBX = the Multiboot information, EAX = the magic.
    private static void V1Code(TestKernelAssembler k)
    {
        var a = k.A;
        Label modules = a.CreateLabel(), modulesDone = a.CreateLabel(), text = a.CreateLabel(), textDone = a.CreateLabel();
        Label walk = a.CreateLabel(), walked = a.CreateLabel(), next = a.CreateLabel(), sizeOk = a.CreateLabel();
        Prologue(k);
        k.Print("multiboot v1 kernel\nmagic is 0x2BADB002: ");
        a.cmp(edi, 0x2BAD_B002);
        k.YesIfEqual();
        k.Print("flags=");
        a.mov(eax, __dword_ptr[ebp]);
        k.Hex();
        k.Print("\nmem_lower=");
        a.mov(eax, __dword_ptr[ebp + 4]);
        k.Dec();
        k.Print("\nboot_device=");
        a.mov(eax, __dword_ptr[ebp + 12]);
        k.Hex();
        k.Print("\ncmdline=");
        a.mov(ebx, __dword_ptr[ebp + 16]);
        k.PrintAt(ebx);
        k.Print("\nmods_count=");
        a.mov(eax, __dword_ptr[ebp + 20]);
        k.Dec();
        k.Print("\n");

        // Each module: its string, size, alignment and first line.
        a.mov(ecx, __dword_ptr[ebp + 20]);
        a.mov(edx, __dword_ptr[ebp + 24]);
        a.Label(ref modules);
        a.test(ecx, ecx);
        a.jz(modulesDone);
        k.Print("module string=");
        a.mov(ebx, __dword_ptr[edx + 8]);
        k.PrintAt(ebx);
        k.Print(" size=");
        a.mov(eax, __dword_ptr[edx + 4]);
        a.sub(eax, __dword_ptr[edx]);
        k.Dec();
        k.Print(" page-aligned: ");
        a.test(__dword_ptr[edx], 0xFFF);
        k.YesIfEqual();
        k.Print("module text=");
        a.mov(ebx, __dword_ptr[edx]);
        a.Label(ref text);
        a.cmp(ebx, __dword_ptr[edx + 4]);
        a.jae(textDone);
        a.mov(al, __byte_ptr[ebx]);
        a.cmp(al, (byte)'\n');
        a.je(textDone);
        k.Char();
        a.inc(ebx);
        a.jmp(text);
        a.Label(ref textDone);
        k.Print("\n");
        a.add(edx, 16);
        a.dec(ecx);
        a.jmp(modules);
        a.Label(ref modulesDone);

        // The memory map: every entry's size field is 20; the RAM entry at 1 MiB gives mem_upper.
        a.mov(esi, __dword_ptr[ebp + 48]);
        a.mov(ecx, __dword_ptr[ebp + 44]);
        a.add(ecx, esi);
        a.xor(edx, edx);
        a.xor(ebx, ebx);
        a.Label(ref walk);
        a.cmp(esi, ecx);
        a.jae(walked);
        a.cmp(__dword_ptr[esi], 20);
        a.je(sizeOk);
        a.inc(edx);
        a.Label(ref sizeOk);
        a.cmp(__dword_ptr[esi + 4], 0x100000);
        a.jne(next);
        a.cmp(__dword_ptr[esi + 20], 1);
        a.jne(next);
        a.mov(ebx, __dword_ptr[esi + 12]);
        a.Label(ref next);
        a.mov(eax, __dword_ptr[esi]);
        a.lea(esi, __[esi + eax + 4]);
        a.jmp(walk);
        a.Label(ref walked);
        k.Print("mmap entries have size 20: ");
        a.test(edx, edx);
        k.YesIfEqual();
        k.Print("mem_upper is the mmap's RAM at 1 MiB: ");
        a.shr(ebx, 10);
        a.cmp(ebx, __dword_ptr[ebp + 8]);
        k.YesIfEqual();
        k.Print("boot_loader_name set: ");
        a.mov(eax, __dword_ptr[ebp]);
        a.shr(eax, 9);
        a.and(eax, 1);
        a.cmp(eax, 1);
        k.YesIfEqual();
        MachineState(k);
    }

    private static void V2Code(TestKernelAssembler k)
    {
        var a = k.A;
        Label tags = a.CreateLabel(), end = a.CreateLabel(), next = a.CreateLabel(), sig = a.CreateLabel();
        Label t1 = a.CreateLabel(), t2 = a.CreateLabel(), t3 = a.CreateLabel(), t4 = a.CreateLabel(), t6 = a.CreateLabel(), t14 = a.CreateLabel(), t15 = a.CreateLabel(), rsdp = a.CreateLabel();
        Prologue(k);
        k.Print("multiboot2 kernel\nmagic is 0x36D76289: ");
        a.cmp(edi, 0x36D7_6289);
        k.YesIfEqual();
        k.Print("information 8-byte aligned: ");
        a.test(ebp, 7);
        k.YesIfEqual();
        a.lea(esi, __[ebp + 8]);
        a.Label(ref tags);
        a.mov(eax, __dword_ptr[esi]);
        a.test(eax, eax);
        a.jz(end);
        a.cmp(eax, 1); a.je(t1);
        a.cmp(eax, 2); a.je(t2);
        a.cmp(eax, 3); a.je(t3);
        a.cmp(eax, 4); a.je(t4);
        a.cmp(eax, 6); a.je(t6);
        a.cmp(eax, 14); a.je(t14);
        a.cmp(eax, 15); a.je(t15);
        k.Print("tag ");
        k.Dec();
        k.Print("\n");
        a.jmp(next);

        a.Label(ref t1);
        k.Print("tag 1 cmdline=");
        a.lea(ebx, __[esi + 8]);
        k.PrintAt(ebx);
        k.Print("\n");
        a.jmp(next);
        a.Label(ref t2);
        k.Print("tag 2 boot_loader_name=");
        a.lea(ebx, __[esi + 8]);
        k.PrintAt(ebx);
        k.Print("\n");
        a.jmp(next);
        a.Label(ref t3);
        k.Print("tag 3 module string=");
        a.lea(ebx, __[esi + 16]);
        k.PrintAt(ebx);
        k.Print(" size=");
        a.mov(eax, __dword_ptr[esi + 12]);
        a.sub(eax, __dword_ptr[esi + 8]);
        k.Dec();
        k.Print(" page-aligned: ");
        a.test(__dword_ptr[esi + 8], 0xFFF);
        k.YesIfEqual();
        a.jmp(next);
        a.Label(ref t4);
        k.Print("tag 4 mem_lower=");
        a.mov(eax, __dword_ptr[esi + 8]);
        k.Dec();
        k.Print(" mem_upper=");
        a.mov(eax, __dword_ptr[esi + 12]);
        k.Dec();
        k.Print("\n");
        a.jmp(next);
        a.Label(ref t6);
        k.Print("tag 6 mmap entry_size=");
        a.mov(eax, __dword_ptr[esi + 8]);
        k.Dec();
        k.Print(" entry_version=");
        a.mov(eax, __dword_ptr[esi + 12]);
        k.Dec();
        k.Print(" entries=");
        a.mov(eax, __dword_ptr[esi + 4]);
        a.sub(eax, 16);
        a.xor(edx, edx);
        a.div(__dword_ptr[esi + 8]);
        k.Dec();
        k.Print("\n");
        a.jmp(next);
        a.Label(ref t14);
        k.Print("tag 14 RSDP signature=");
        a.jmp(rsdp);
        a.Label(ref t15);
        k.Print("tag 15 RSDP signature=");
        a.Label(ref rsdp);
        a.xor(ecx, ecx);
        a.Label(ref sig);
        a.mov(al, __byte_ptr[esi + ecx + 8]);
        k.Char();
        a.inc(ecx);
        a.cmp(ecx, 8);
        a.jb(sig);
        k.Print(" revision=");
        a.movzx(eax, __byte_ptr[esi + 8 + 15]);
        k.Dec();
        k.Print("\n");

        a.Label(ref next);
        a.mov(eax, __dword_ptr[esi + 4]);
        a.add(eax, 7);
        a.and(eax, ~7);
        a.add(esi, eax);
        a.jmp(tags);
        a.Label(ref end);
        k.Print("tag 0 end; total_size matches: ");
        a.lea(eax, __[esi + 8]);
        a.sub(eax, ebp);
        a.cmp(eax, __dword_ptr[ebp]);
        k.YesIfEqual();
        MachineState(k);
    }

    private static void Prologue(TestKernelAssembler k)
    {
        var a = k.A;
        a.mov(esp, 0); // patched below: the stack's top is past the image; ESP is undefined at entry
        a.mov(edi, eax);
        a.mov(ebp, ebx);
    }

    // Paging off and PE on, IF = 0, flat data segments (the reset vector's far jump at 0xFFFFFFF0), A20 on.
    private static void MachineState(TestKernelAssembler k)
    {
        var a = k.A;
        k.Print("cr0: pe=1 pg=0: ");
        a.mov(eax, cr0);
        a.and(eax, 0x8000_0001);
        a.cmp(eax, 1);
        k.YesIfEqual();
        k.Print("eflags.if=0: ");
        a.pushfd();
        a.pop(eax);
        a.test(eax, 0x200);
        k.YesIfEqual();
        k.Print("flat ds reads the reset vector opcode: ");
        a.cmp(__byte_ptr[0xFFFF_FFF0], 0xEA);
        k.YesIfEqual();
        k.Print("a20 on: ");
        a.mov(__byte_ptr[0x500], 0x11);
        a.mov(__byte_ptr[0x100500], 0x22);
        a.cmp(__byte_ptr[0x500], 0x11);
        k.YesIfEqual();
        k.Exit();
    }

    private static byte[] Elf32(byte[] image, int memorySize)
    {
        byte[] file = new byte[FileOffset + image.Length];
        Span<byte> f = file;
        "\x7F"u8.CopyTo(f);
        "ELF"u8.CopyTo(f[1..]);
        f[4] = 1; f[5] = 1; f[6] = 1;
        H(f, 16, 2); H(f, 18, 3); W(f, 20, 1); W(f, 24, Base + (uint)HeaderArea); W(f, 28, 52);
        H(f, 40, 52); H(f, 42, 32); H(f, 44, 1);
        W(f, 52, 1); W(f, 56, (uint)FileOffset); W(f, 60, Base); W(f, 64, Base); W(f, 68, (uint)image.Length); W(f, 72, (uint)memorySize); W(f, 76, 7); W(f, 80, 0x1000);
        image.CopyTo(f[FileOffset..]);
        PatchStack(f[FileOffset..], memorySize);
        return file;
    }

    private static byte[] Elf64(byte[] image, int memorySize)
    {
        byte[] file = new byte[FileOffset + image.Length];
        Span<byte> f = file;
        "\x7F"u8.CopyTo(f);
        "ELF"u8.CopyTo(f[1..]);
        f[4] = 2; f[5] = 1; f[6] = 1;
        H(f, 16, 2); H(f, 18, 62); W(f, 20, 1); Q(f, 24, Base + (uint)HeaderArea); Q(f, 32, 64);
        H(f, 52, 64); H(f, 54, 56); H(f, 56, 1);
        W(f, 64, 1); W(f, 68, 7); Q(f, 72, (ulong)FileOffset); Q(f, 80, Base); Q(f, 88, Base); Q(f, 96, (ulong)image.Length); Q(f, 104, (ulong)memorySize); Q(f, 112, 0x1000);
        image.CopyTo(f[FileOffset..]);
        PatchStack(f[FileOffset..], memorySize);
        return file;
    }

    // The prologue's "mov esp, imm32" (BC imm32) is the code's first instruction: point it at the image's end.
    private static void PatchStack(Span<byte> image, int memorySize) => W(image, HeaderArea + 1, Base + (uint)memorySize);

    private static void W(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s[at..], v);

    private static void H(Span<byte> s, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(s[at..], v);

    private static void Q(Span<byte> s, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(s[at..], v);
}
