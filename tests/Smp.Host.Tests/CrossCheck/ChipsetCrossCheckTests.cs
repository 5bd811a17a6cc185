using Iced.Intel;
using Smp.Host.Tests.Guest;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Host.Tests.CrossCheck.CrossImage;

namespace Smp.Host.Tests.CrossCheck;

/// <summary>
/// One Iced-assembled guest under QEMU's <c>-machine pc</c> and under <c>smp run --disk</c>: it reads the PCI IDs of
/// the host and ISA bridges and an absent function, the FADT's PM blocks and SCI, the HPET table and the HPET's
/// capabilities, checks the PM timer against PIT channel 2 and the HPET against the PM timer over 5 ms, and powers off through
/// ACPI S5. Both print the same lines; QEMU exits 0 on power-off, smp with its power-off code.
/// </summary>
public sealed class ChipsetCrossCheckTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-chipset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Expected =
        "pci 00:00.0 id=12378086 class=060000 header=00\n" +
        "pci 00:01.0 id=70008086 class=060100 header=80\n" +
        "pci 00:05.0 id=FFFFFFFF\n" +
        "fadt sci=0009 pm1a_evt=00000600 pm1a_cnt=00000604 pm_tmr=00000608 century=32\n" +
        "hpet table id=8086A201 base=FED00000\n" +
        "hpet caps=8086A201 period=00989680\n" +
        "pm-timer/pit ok\n" +
        "hpet/pm-timer ok\n";

    [QemuFact]
    public void Chipset_probe_prints_the_same_under_qemu_and_smp_and_powers_off()
    {
        string image = Path.Combine(_dir, "chipset.img");
        File.WriteAllBytes(image, Build());
        var smp = CrossRun.Smp(image, 1);
        var qemu = CrossRun.Qemu(image, 1, TimeSpan.FromSeconds(20));
        output.WriteLine($"smp exit {smp.ExitCode}:\n{smp.Com1}{smp.Diagnostics}");
        output.WriteLine($"qemu exit {qemu.ExitCode}:\n{qemu.Com1}{qemu.Diagnostics}");
        Assert.Equal(Expected, qemu.Com1);
        Assert.Equal(Expected, smp.Com1);
        Assert.Equal(0, qemu.ExitCode);
        Assert.Equal(ExitCodes.GuestPowerOff, smp.ExitCode);
    }

    private static byte[] Build() => new CrossImage().Real(EnterProtected).Protected(a =>
    {
        foreach (var (device, header) in new[] { (0, true), (1, true), (5, false) })
        {
            Print(a, $"pci 00:{device:X2}.0 id=");
            PciRead(a, device, 0x00);
            Hex(a, 8);
            if (header)
            {
                Print(a, " class=");
                PciRead(a, device, 0x08);
                a.shr(eax, 8);
                Hex(a, 6);
                Print(a, " header=");
                PciRead(a, device, 0x0C);
                a.shr(eax, 16);
                Hex(a, 2);
            }

            Print(a, "\n");
        }

        FindTables(a); // EBX = FADT, EBP = HPET table (0 if absent)
        Print(a, "fadt sci=");
        a.movzx(eax, __word_ptr[ebx + 46]);
        Hex(a, 4);
        foreach (var (name, offset) in new[] { ("pm1a_evt", 56), ("pm1a_cnt", 64), ("pm_tmr", 76) })
        {
            Print(a, $" {name}=");
            a.mov(eax, __dword_ptr[ebx + offset]);
            Hex(a, 8);
        }

        Print(a, " century=");
        a.movzx(eax, __byte_ptr[ebx + 108]);
        Hex(a, 2);
        Print(a, "\nhpet table id=");
        a.mov(eax, __dword_ptr[ebp + 36]);
        Hex(a, 8);
        Print(a, " base=");
        a.mov(eax, __dword_ptr[ebp + 44]);
        Hex(a, 8);
        Print(a, "\nhpet caps=");
        a.mov(eax, __dword_ptr[0xFED00000]);
        Hex(a, 8);
        Print(a, " period=");
        a.mov(eax, __dword_ptr[0xFED00004]);
        Hex(a, 8);
        Print(a, "\n");

        // PIT channel 2 counting down from FFFFh (mode 0, gated by port 0x61 bit 0); samples of its latched count, the
        // PM timer and the HPET counter, read back to back, 5 ms apart by the PM timer.
        a.mov(__dword_ptr[0xFED00010], 1); // HPET ENABLE_CNF
        a.@in(al, 0x61);
        a.and(al, 0xFC);
        a.or(al, 0x01);
        a.@out(0x61, al);
        a.mov(al, 0xB0);
        a.@out(0x43, al);
        a.mov(al, 0xFF);
        a.@out(0x42, al);
        a.@out(0x42, al);
        Sample(a, Samples);
        var wait = a.CreateLabel();
        a.Label(ref wait);
        a.mov(dx, __word_ptr[ebx + 76]);
        a.@in(eax, dx);
        a.sub(eax, __dword_ptr[Samples + 4]);
        a.and(eax, 0xFF_FFFF);
        a.cmp(eax, 17_898); // 5 ms of 3.579545 MHz
        a.jb(wait);
        Sample(a, Samples + 12);
        // PM ticks are exactly 3 PIT ticks (14.31818 MHz / 4 and / 12): 3 × PIT − PM within 1%.
        a.mov(eax, __dword_ptr[Samples]);
        a.sub(eax, __dword_ptr[Samples + 12]);
        a.imul(eax, eax, 3);
        a.mov(ecx, __dword_ptr[Samples + 16]);
        a.sub(ecx, __dword_ptr[Samples + 4]);
        a.and(ecx, 0xFF_FFFF);
        a.sub(eax, ecx);
        a.add(eax, 1_000_000);
        Verdict(a, "pm-timer/pit", 1_000_000, 180);
        // PM ticks × 10^8 / 3579545 are HPET ticks: within 20 µs.
        a.mov(eax, __dword_ptr[Samples + 16]);
        a.sub(eax, __dword_ptr[Samples + 4]);
        a.and(eax, 0xFF_FFFF);
        a.mov(ecx, 100_000_000);
        a.mul(ecx);
        a.mov(ecx, 3_579_545);
        a.div(ecx);
        a.sub(eax, __dword_ptr[Samples + 20]);
        a.add(eax, __dword_ptr[Samples + 8]);
        a.add(eax, 1_000_000);
        Verdict(a, "hpet/pm-timer", 1_000_000, 2_000);

        // ACPI S5: SLP_TYP = \_S5's 0, SLP_EN.
        a.mov(dx, __word_ptr[ebx + 64]);
        a.mov(ax, 0x2000);
        a.@out(dx, ax);
        a.cli(); // power-off takes effect asynchronously under QEMU: print nothing more
        var off = a.CreateLabel();
        a.Label(ref off);
        a.hlt();
        a.jmp(off);
    }).Build();

    private const uint Samples = 0x3000;

    /// <summary>Stores the PIT channel 2 latched count, the PM timer and the HPET counter at <paramref name="at"/> (EBX = FADT).</summary>
    private static void Sample(Assembler a, uint at)
    {
        a.mov(al, 0x80); // counter latch, channel 2
        a.@out(0x43, al);
        a.@in(al, 0x42);
        a.mov(cl, al);
        a.@in(al, 0x42);
        a.mov(ch, al);
        a.movzx(ecx, cx);
        a.mov(dx, __word_ptr[ebx + 76]);
        a.@in(eax, dx);
        a.mov(edx, __dword_ptr[0xFED000F0]);
        a.mov(__dword_ptr[at], ecx);
        a.mov(__dword_ptr[at + 4], eax);
        a.mov(__dword_ptr[at + 8], edx);
    }

    private static void PciRead(Assembler a, int device, int register)
    {
        a.mov(eax, 0x8000_0000u | (uint)(device << 11) | (uint)register);
        a.mov(dx, 0xCF8);
        a.@out(dx, eax);
        a.mov(dx, 0xCFC);
        a.@in(eax, dx);
    }

    /// <summary>Prints "NAME ok" when EAX is within <paramref name="tolerance"/> of <paramref name="expected"/>, else "NAME off VALUE".</summary>
    private static void Verdict(Assembler a, string name, int expected, int tolerance)
    {
        var bad = a.CreateLabel();
        var done = a.CreateLabel();
        a.mov(ecx, eax);
        a.sub(ecx, expected - tolerance);
        a.cmp(ecx, 2 * tolerance);
        a.ja(bad);
        Print(a, $"{name} ok\n");
        a.jmp(done);
        a.Label(ref bad);
        Print(a, $"{name} off ");
        Hex(a, 8);
        Print(a, "\n");
        a.Label(ref done);
    }

    /// <summary>Finds the RSDP in 0xE0000–0xFFFFF and, through the RSDT, the FADT (into EBX) and the HPET table (into EBP).</summary>
    private static void FindTables(Assembler a)
    {
        var scan = a.CreateLabel();
        var found = a.CreateLabel();
        var entry = a.CreateLabel();
        var next = a.CreateLabel();
        var notFadt = a.CreateLabel();
        var done = a.CreateLabel();
        a.mov(esi, 0xE0000);
        a.Label(ref scan);
        a.cmp(__dword_ptr[esi], 0x20445352); // "RSD "
        a.jne(next);
        a.cmp(__dword_ptr[esi + 4], 0x20525450); // "PTR "
        a.je(found);
        a.Label(ref next);
        a.add(esi, 16);
        a.cmp(esi, 0x100000);
        a.jb(scan);
        Print(a, "no RSDP\n");
        Exit(a, 0x7C);
        a.Label(ref found);
        a.mov(esi, __dword_ptr[esi + 16]); // RSDT
        a.mov(ecx, __dword_ptr[esi + 4]);
        a.sub(ecx, 36);
        a.shr(ecx, 2);
        a.lea(edi, __[esi + 36]);
        a.xor(ebx, ebx);
        a.xor(ebp, ebp);
        a.Label(ref entry);
        a.test(ecx, ecx);
        a.jz(done);
        a.mov(eax, __dword_ptr[edi]);
        a.cmp(__dword_ptr[eax], 0x50434146); // "FACP"
        a.jne(notFadt);
        a.mov(ebx, eax);
        a.Label(ref notFadt);
        var notHpet = a.CreateLabel();
        a.cmp(__dword_ptr[eax], 0x54455048); // "HPET"
        a.jne(notHpet);
        a.mov(ebp, eax);
        a.Label(ref notHpet);
        a.add(edi, 4);
        a.dec(ecx);
        a.jmp(entry);
        a.Label(ref done);
    }
}
