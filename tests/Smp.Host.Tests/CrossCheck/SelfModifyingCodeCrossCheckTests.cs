using Smp.Host.Tests.Guest;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Host.Tests.CrossCheck.CrossImage;

namespace Smp.Host.Tests.CrossCheck;

/// <summary>
/// The self-modifying-code reproducer under <c>smp run</c> and under QEMU 7.2 TCG: a real-mode function
/// whose immediate is patched between calls, then loops that increment their own immediate in 32-bit protected
/// mode and in 64-bit mode. Both must print the same COM1 bytes (QEMU printed 5678 where smp printed 5666).
/// </summary>
public sealed class SelfModifyingCodeCrossCheckTests(ITestOutputHelper output) : IDisposable
{
    // Free payload addresses (below the GDTs at 0xD000, above the AP trampoline at 0xC000).
    private const ulong Fn16 = 0xC800, Loop32 = 0xCA00, Loop64 = 0xCC00;

    private readonly string _dir = Directory.CreateTempSubdirectory("smp-smc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [QemuFact]
    public void Patched_code_runs_new_in_real_protected_and_long_mode_as_under_qemu()
    {
        var image = new CrossImage()
            .Real(a =>
            {
                a.call(Fn16);
                a.call(Putc16);
                for (int i = 1; i <= 3; i++)
                {
                    a.mov(__byte_ptr[Fn16 + 1], (byte)('5' + i));
                    a.call(Fn16);
                    a.call(Putc16);
                }
                Print(a, "\n");
                EnterProtected(a);
            })
            .Protected(a =>
            {
                a.mov(ecx, 100);
                a.xor(ebx, ebx);
                a.call(Loop32);
                a.mov(eax, ebx);
                Hex(a, 8);
                Print(a, "\n");
                EnterLong(a);
            })
            .Long(a =>
            {
                a.mov(ecx, 1000);
                a.xor(ebx, ebx);
                a.call(Loop64);
                a.mov(rax, rbx);
                Hex(a, 16);
                Print(a, "\n");
                Exit(a, 0);
            });
        image.Place(16, Fn16, a => { a.mov(al, (byte)'5'); a.ret(); });
        image.Place(32, Loop32, a =>
        {
            a.mov(eax, 1);                              // the immediate is at Loop32 + 1
            a.add(ebx, eax);
            a.inc(__dword_ptr[(uint)(Loop32 + 1)]);
            a.dec(ecx);
            a.jnz(Loop32);
            a.ret();
        });
        image.Place(64, Loop64, a =>
        {
            a.mov(rax, 0x1_0000_0001L);                 // the immediate is at Loop64 + 2
            a.add(rbx, rax);
            a.inc(__qword_ptr[(long)(Loop64 + 2)]);
            a.dec(ecx);
            a.jnz(Loop64);
            a.ret();
        });

        string path = Path.Combine(_dir, "smc.img");
        File.WriteAllBytes(path, image.Build());
        var smp = CrossRun.Smp(path, 1);
        var qemu = CrossRun.Qemu(path, 1, TimeSpan.FromSeconds(10));
        output.WriteLine($"smp exit {smp.ExitCode}:\n{smp.Com1}{smp.Diagnostics}");
        output.WriteLine($"qemu exit {qemu.ExitCode}:\n{qemu.Com1}{qemu.Diagnostics}");

        Assert.Equal("5678\n000013BA\n000003E80007A314\n", smp.Com1);  // 1+…+100; 1000 × 0x100000001 + 0+…+999
        Assert.Equal(qemu.Com1, smp.Com1);
        Assert.Equal(qemu.ExitCode, smp.ExitCode & 0xFF);
    }
}
