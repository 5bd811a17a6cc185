using Iced.Intel;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Bios.GuestDisk;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class BiosGuestAcpiTests
{
    private const int Results = 0x700, Gdt = 0x810, Gdtr = 0x800;

    // "Unreal mode": load FS with a flat 4 GiB data descriptor in protected mode and return to real mode, so that
    // 32-bit addresses reach the ACPI tables at the top of RAM.
    private static void EnterUnrealMode(Assembler a)
    {
        a.mov(__dword_ptr[Gdt], 0); a.mov(__dword_ptr[Gdt + 4], 0);
        a.mov(__dword_ptr[Gdt + 8], 0x0000_FFFF); a.mov(__dword_ptr[Gdt + 12], 0x00CF_9300);
        a.mov(__word_ptr[Gdtr], 15); a.mov(__dword_ptr[Gdtr + 2], Gdt);
        a.cli();
        a.lgdt(__fword_ptr[Gdtr]);
        a.mov(eax, cr0); a.or(al, 1); a.mov(cr0, eax);
        a.mov(bx, 0x08); a.mov(fs, bx);
        a.and(al, 0xFE); a.mov(cr0, eax);
        a.xor(bx, bx); a.mov(fs, bx);            // the selector changes; the 4 GiB limit stays in the cache
    }

    [Fact]
    public void GuestFollowsRsdpToTheMadtAndCountsTheEnabledProcessors()
    {
        byte[] image = Build(a =>
        {
            Label scan = a.CreateLabel(), found = a.CreateLabel(), nextTable = a.CreateLabel(), haveMadt = a.CreateLabel();
            Label entry = a.CreateLabel(), skip = a.CreateLabel(), done = a.CreateLabel(), fail = a.CreateLabel();
            EnterUnrealMode(a);
            // RSDP: 16-byte steps over E000:0 … F000:FFF0.
            a.mov(eax, 0xE0000);
            a.Label(ref scan);
            a.cmp(__dword_ptr.fs[eax], 0x20445352);
            a.jne(nextTable);
            a.cmp(__dword_ptr.fs[eax + 4], 0x20525450);
            a.je(found);
            a.Label(ref nextTable);
            a.add(eax, 16);
            a.cmp(eax, 0x100000);
            a.jb(scan);
            a.jmp(fail);
            a.Label(ref found);
            a.mov(__dword_ptr[Results], eax);
            a.mov(esi, __dword_ptr.fs[eax + 16]);          // RSDT
            a.mov(ecx, __dword_ptr.fs[esi + 4]);
            a.add(ecx, esi);                               // end of the RSDT
            a.lea(ebx, __[esi + 36]);
            Label rsdtLoop = a.CreateLabel();
            a.Label(ref rsdtLoop);
            a.cmp(ebx, ecx);
            a.jae(fail);
            a.mov(edi, __dword_ptr.fs[ebx]);
            a.add(ebx, 4);
            a.cmp(__dword_ptr.fs[edi], 0x43495041);         // "APIC"
            a.jne(rsdtLoop);
            a.Label(ref haveMadt);
            a.mov(__dword_ptr[Results + 4], edi);
            a.mov(ecx, __dword_ptr.fs[edi + 4]);
            a.add(ecx, edi);
            a.lea(ebx, __[edi + 0x2C]);
            a.xor(bp, bp);                                 // enabled local APICs
            a.mov(si, Results + 8);                        // their IDs
            a.Label(ref entry);
            a.cmp(ebx, ecx);
            a.jae(done);
            a.cmp(__byte_ptr.fs[ebx], 0);
            a.jne(skip);
            a.test(__byte_ptr.fs[ebx + 4], 1);
            a.jz(skip);
            a.mov(al, __byte_ptr.fs[ebx + 3]);
            a.mov(__byte_ptr[si], al);
            a.inc(si);
            a.inc(bp);
            a.Label(ref skip);
            a.movzx(eax, __byte_ptr.fs[ebx + 1]);
            a.add(ebx, eax);
            a.jmp(entry);
            a.Label(ref done);
            a.mov(__word_ptr[Results + 16], bp);
            a.mov(ax, bp); a.add(al, (byte)'0');
            a.mov(dx, 0x3F8); a.@out(dx, al);
            Exit(a, 0x20);
            a.Label(ref fail);
            Exit(a, 0x7E);
        });
        using var m = new BiosMachine(new DiskImage(image), cpus: 8);
        m.Run();

        Assert.Equal(0x41, m.ExitCode);
        Assert.Equal("8", m.SerialText);
        Assert.Equal((uint)m.Platform.Acpi.RsdpAddress, m.Dword(Results));
        Assert.Equal((uint)m.Platform.Acpi.MadtAddress, m.Dword(Results + 4));
        Assert.Equal(8, m.Word(Results + 16));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7 }, m.Bytes(Results + 8, 8));
    }
}
