using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest.Initramfs;

/// <summary>
/// The test init: a static x86-64 Linux ELF executable assembled with Iced (no toolchain). It writes
/// "<see cref="Banner"/>" to its console, counts the CPUs it may run on with <c>sched_getaffinity</c> (the kernel
/// intersects the mask with the active CPUs), prints "<c>smp-init: N CPUs online</c>", and powers the machine off with
/// <c>reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF)</c> — ACPI S5 when the firmware
/// allows it. Should the reboot call return, it exits (the kernel then panics: "Attempted to kill init").
/// </summary>
public static class TinyInit
{
    /// <summary>The first line the init prints.</summary>
    public const string Banner = "smp-init: hello from /init (Iced-assembled, static x86-64)";

    /// <summary>The format of the second line: <c>smp-init: {0} CPUs online</c>.</summary>
    public const string CpuLineFormat = "smp-init: {0} CPUs online";

    private const ulong LoadAddress = 0x40_0000;
    private const int ElfHeaderSize = 64, ProgramHeaderSize = 56;
    private const ulong EntryAddress = LoadAddress + ElfHeaderSize + ProgramHeaderSize;

    // x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl) and reboot's magic values (include/uapi/linux/reboot.h).
    private const int SysWrite = 1, SysExit = 60, SysReboot = 169, SysSchedGetaffinity = 204;
    private const uint RebootMagic1 = 0xFEE1DEAD, RebootMagic2 = 672274793, RebootCmdPowerOff = 0x4321FEDC;
    private const int MaskBytes = 128; // 1024 CPUs

    /// <summary>The ELF file.</summary>
    public static byte[] Build()
    {
        byte[] code = Assemble();
        var elf = new byte[ElfHeaderSize + ProgramHeaderSize + code.Length];
        Span<byte> e = elf;
        // ELF header (System V gABI; x86-64 psABI): ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ET_EXEC, EM_X86_64.
        "\x7F"u8.CopyTo(e);
        "ELF"u8.CopyTo(e[1..]);
        e[4] = 2;
        e[5] = 1;
        e[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(e[18..], 62);
        BinaryPrimitives.WriteUInt32LittleEndian(e[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(e[24..], EntryAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(e[32..], ElfHeaderSize); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(e[52..], ElfHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(e[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(e[56..], 1); // e_phnum
        BinaryPrimitives.WriteUInt16LittleEndian(e[58..], 64); // e_shentsize (no sections)
        // One PT_LOAD of the whole file at LoadAddress, readable and executable.
        Span<byte> ph = e[ElfHeaderSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5); // PF_R | PF_X
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], LoadAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], LoadAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)elf.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)elf.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
        code.CopyTo(elf, ElfHeaderSize + ProgramHeaderSize);
        return elf;
    }

    private static byte[] Assemble()
    {
        var a = new Assembler(64);
        var banner = a.CreateLabel();
        var prefix = a.CreateLabel();
        var suffix = a.CreateLabel();
        var countBits = a.CreateLabel();
        var nextBit = a.CreateLabel();
        var digits = a.CreateLabel();
        string[] parts = CpuLineFormat.Split("{0}");
        byte[] bannerText = [.. System.Text.Encoding.ASCII.GetBytes(Banner + "\n")];
        byte[] prefixText = System.Text.Encoding.ASCII.GetBytes(parts[0]);
        byte[] suffixText = System.Text.Encoding.ASCII.GetBytes(parts[1] + "\n");

        // write(1, banner, len)
        Write(a, banner, bannerText.Length);
        // sched_getaffinity(0, MaskBytes, rsp - MaskBytes): RAX = bytes of mask written.
        a.sub(rsp, MaskBytes + 64);
        a.mov(eax, SysSchedGetaffinity);
        a.xor(edi, edi);
        a.mov(esi, MaskBytes);
        a.mov(rdx, rsp);
        a.syscall();
        // Count the set bits of the first RAX bytes (no POPCNT: it needs a CPUID feature).
        a.xor(ebx, ebx); // count
        a.test(rax, rax);
        a.jle(digits);
        a.mov(rcx, rax);
        a.mov(rsi, rsp);
        a.Label(ref countBits);
        a.movzx(edx, __byte_ptr[rsi]);
        a.Label(ref nextBit);
        a.test(edx, edx);
        var byteDone = a.CreateLabel();
        a.jz(byteDone);
        a.mov(eax, edx);
        a.and(eax, 1);
        a.add(ebx, eax);
        a.shr(edx, 1);
        a.jmp(nextBit);
        a.Label(ref byteDone);
        a.inc(rsi);
        a.dec(rcx);
        a.jnz(countBits);
        // Decimal digits of EBX, built backwards at rsp + MaskBytes + 63.
        a.Label(ref digits);
        a.lea(rdi, __[rsp + MaskBytes + 63]);
        a.mov(eax, ebx);
        a.mov(ecx, 10);
        var digit = a.CreateLabel();
        a.Label(ref digit);
        a.xor(edx, edx);
        a.div(ecx);
        a.add(dl, (byte)'0');
        a.mov(__byte_ptr[rdi], dl);
        a.dec(rdi);
        a.test(eax, eax);
        a.jnz(digit);
        a.mov(r12, rdi); // one before the first digit
        Write(a, prefix, prefixText.Length);
        a.lea(rsi, __[r12 + 1]);
        a.lea(rdx, __[rsp + MaskBytes + 64]);
        a.sub(rdx, rsi);
        a.mov(eax, SysWrite);
        a.mov(edi, 1);
        a.syscall();
        Write(a, suffix, suffixText.Length);
        // reboot(MAGIC1, MAGIC2, CMD_POWER_OFF, NULL)
        a.mov(eax, SysReboot);
        a.mov(edi, RebootMagic1);
        a.mov(esi, RebootMagic2);
        a.mov(edx, RebootCmdPowerOff);
        a.xor(r10d, r10d);
        a.syscall();
        a.mov(eax, SysExit);
        a.xor(edi, edi);
        a.syscall();
        a.Label(ref banner);
        a.db(bannerText);
        a.Label(ref prefix);
        a.db(prefixText);
        a.Label(ref suffix);
        a.db(suffixText);

        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), EntryAddress);
        return stream.ToArray();
    }

    private static void Write(Assembler a, Label text, int length)
    {
        a.mov(eax, SysWrite);
        a.mov(edi, 1);
        a.lea(rsi, __[text]);
        a.mov(edx, length);
        a.syscall();
    }
}
