using System.Buffers.Binary;
using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Bios.GuestDisk;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class BiosSystemTests
{
    private const int Results = 0x700, E820Buffer = 0x2000, E820Count = 0x6F0;

    // Collects E820 entries (24-byte slots, asking for 24 bytes to show the 20-byte answer) until EBX = 0 or CF = 1.
    private static void CollectE820(Assembler a)
    {
        Label next = a.CreateLabel(), done = a.CreateLabel();
        a.xor(ebx, ebx);
        a.mov(di, E820Buffer);
        a.mov(__word_ptr[E820Count], 0);
        a.Label(ref next);
        a.mov(eax, 0xE820);
        a.mov(edx, BiosServices.Smap);
        a.mov(ecx, 24);
        a.@int(0x15);
        a.jc(done);
        a.cmp(eax, BiosServices.Smap);
        a.jne(done);
        a.mov(__word_ptr[E820Count + 2], cx);
        a.inc(__word_ptr[E820Count]);
        a.add(di, 24);
        a.test(ebx, ebx);
        a.jnz(next);
        a.Label(ref done);
    }

    [Fact]
    public void GuestE820EnumerationMatchesTheMemoryMapAndE801And88hDescribe128MiB()
    {
        byte[] image = Build(a =>
        {
            CollectE820(a);
            // A bad signature fails with CF = 1.
            a.mov(eax, 0xE820); a.mov(edx, 0x12345678); a.xor(ebx, ebx); a.mov(ecx, 20); a.mov(di, 0x3000); a.@int(0x15);
            SaveAxFlags(a, Results);
            a.mov(ax, 0xE801); a.@int(0x15);
            SaveAxFlags(a, Results + 4);
            a.mov(__word_ptr[Results + 8], bx);
            a.mov(__word_ptr[Results + 10], cx);
            a.mov(__word_ptr[Results + 12], dx);
            a.mov(ah, 0x88); a.@int(0x15);
            SaveAxFlags(a, Results + 14);
            a.mov(ax, 0xC000); a.@int(0x15);             // unsupported here
            SaveAxFlags(a, Results + 18);
            Exit(a, 6);
        });
        using var m = new BiosMachine(new DiskImage(image), ramMiB: 128);
        m.Run();

        Assert.Equal(13, m.ExitCode);
        IReadOnlyList<E820Entry> map = m.Platform.Map.E820;
        Assert.Equal(map.Count, m.Word(E820Count));
        Assert.Equal(20, m.Word(E820Count + 2));
        for (int i = 0; i < map.Count; i++)
        {
            byte[] e = m.Bytes((ulong)(E820Buffer + 24 * i), 20);
            Assert.Equal(map[i], new E820Entry(BinaryPrimitives.ReadUInt64LittleEndian(e), BinaryPrimitives.ReadUInt64LittleEndian(e.AsSpan(8)), (E820Type)BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(16))));
        }
        Assert.Equal(1, m.Word(Results + 2) & 1);
        Assert.Equal(0x86, m.Word(Results) >> 8);

        Assert.Equal(0, m.Word(Results + 6) & 1);
        Assert.Equal(0x3C00, m.Word(Results + 4));    // AX: 15 MiB between 1 and 16 MiB
        Assert.Equal(0x0700, m.Word(Results + 8));    // BX: (128 − 16) MiB / 64 KiB
        Assert.Equal(0x3C00, m.Word(Results + 10));   // CX
        Assert.Equal(0x0700, m.Word(Results + 12));   // DX
        Assert.Equal(0xFC00, m.Word(Results + 14));   // 88h: 127 MiB in KiB, capped at 63 MiB as SeaBIOS
        Assert.Equal(0, m.Word(Results + 16) & 1);
        Assert.Equal(0x86, m.Word(Results + 18) >> 8);
        Assert.Equal(1, m.Word(Results + 20) & 1);
    }

    [Fact]
    public void A20CallsReportTheStateAndChangeAddressWrapping()
    {
        byte[] image = Build(a =>
        {
            a.mov(ax, 0x2403); a.@int(0x15); SaveAxFlags(a, Results);
            a.mov(__word_ptr[Results + 4], bx);
            a.mov(ax, 0x2402); a.@int(0x15); SaveAxFlags(a, Results + 6);   // enabled after POST
            a.mov(ax, 0x2400); a.@int(0x15); SaveAxFlags(a, Results + 10);
            a.mov(ax, 0x2402); a.@int(0x15); SaveAxFlags(a, Results + 14);  // disabled
            a.mov(ax, 0xFFFF); a.mov(es, ax);
            a.mov(__byte_ptr.es[0x0510], 0x5A);                              // FFFF:0510 = 0x100500 → wraps to 0x500
            a.mov(ax, 0x2401); a.@int(0x15); SaveAxFlags(a, Results + 18);
            a.mov(ax, 0xFFFF); a.mov(es, ax);
            a.mov(__byte_ptr.es[0x0520], 0xA5);                              // 0x100510, no wrap
            Exit(a, 7);
        });
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        Assert.Equal(15, m.ExitCode);
        Assert.Equal(0, m.Word(Results + 2) & 1);
        Assert.Equal(0, m.Word(Results + 4));
        Assert.Equal(0x0001, m.Word(Results + 6));
        Assert.Equal(0x0000, m.Word(Results + 10) >> 8);
        Assert.Equal(0x0000, m.Word(Results + 14));
        Assert.Equal(0, m.Word(Results + 20) & 1);
        Assert.Equal(0x5A, m.Byte(0x500));
        Assert.Equal(0x00, m.Byte(0x100500));
        Assert.Equal(0xA5, m.Byte(0x100510));
        Assert.True(m.Bios.A20Enabled);
        Assert.Equal(ulong.MaxValue, m.Cpu.A20Mask);
    }

    [Fact]
    public void ClockKeyboardEquipmentMemoryAndVideoQueriesAnswerSensibly()
    {
        byte[] image = Build(a =>
        {
            a.mov(ah, 0x02); a.@int(0x1A); SaveAxFlags(a, Results);
            a.mov(__word_ptr[Results + 4], cx); a.mov(__word_ptr[Results + 6], dx);
            a.mov(ah, 0x04); a.@int(0x1A);
            a.mov(__word_ptr[Results + 8], cx); a.mov(__word_ptr[Results + 10], dx);
            a.mov(ah, 0x00); a.@int(0x1A);
            a.mov(__word_ptr[Results + 12], cx); a.mov(__word_ptr[Results + 14], dx);
            a.mov(ah, 0x01); a.@int(0x16); SaveAxFlags(a, Results + 16);      // ZF = 1: no key
            a.mov(ah, 0x00); a.@int(0x16); SaveAxFlags(a, Results + 20);      // returns 0 at once
            a.@int(0x11); a.mov(__word_ptr[Results + 24], ax);
            a.@int(0x12); a.mov(__word_ptr[Results + 26], ax);
            a.mov(ah, 0x0F); a.@int(0x10); a.mov(__word_ptr[Results + 28], ax);
            a.mov(ax, 0x0E41); a.@int(0x10); a.mov(ax, 0x0E42); a.@int(0x10);
            a.mov(ah, 0x03); a.mov(bh, 0); a.@int(0x10); a.mov(__word_ptr[Results + 30], dx);
            Exit(a, 8);
        });
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        Assert.Equal(17, m.ExitCode);
        Assert.Equal(0, m.Word(Results + 2) & 1);
        Assert.Equal(0x0000, m.Word(Results + 4));    // 00:00 on the default RTC start (2024-01-01 00:00:00)
        Assert.Equal(0x0000, m.Word(Results + 6));
        Assert.Equal(0x2024, m.Word(Results + 8));
        Assert.Equal(0x0101, m.Word(Results + 10));
        Assert.Equal(0u, ((uint)m.Word(Results + 12) << 16) | m.Word(Results + 14));
        Assert.Equal(0x40, m.Word(Results + 18) & 0x40);
        Assert.Equal(0, m.Word(Results + 20));
        Assert.Equal(0x0222, m.Word(Results + 24));
        Assert.Equal(639, m.Word(Results + 26));
        Assert.Equal(0x5003, m.Word(Results + 28));  // 80 columns, mode 3
        Assert.Equal(0x0002, m.Word(Results + 30));  // row 0, column 2 after "AB"
        Assert.Equal("AB", m.ConsoleText);
    }

    [Fact]
    public void PostProgramsTheBootProcessorsMtrrsAsPcFirmwareDoes()
    {
        byte[] image = Build(a => a.hlt());
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        ulong Msr(uint msr) => Assert.IsType<ulong>(m.Cpu.TryReadMsr(msr, out ulong v) ? v : null);
        Assert.Equal(0xC06UL, Msr(0x2FF));                               // enabled, fixed ranges enabled, default WB
        Assert.Equal(0x0606_0606_0606_0606UL, Msr(0x250));               // 0–512 KiB write-back
        Assert.Equal(0x0606_0606_0606_0606UL, Msr(0x258));               // 512–640 KiB write-back
        Assert.Equal(0UL, Msr(0x259));                                   // the VGA window uncacheable
        for (uint r = 0x268; r <= 0x26F; r++) Assert.Equal(0x0505_0505_0505_0505UL, Msr(r)); // ROM area write-protected
        Assert.Equal(0xC000_0000UL, Msr(0x200));                         // 3–4 GiB uncacheable ...
        Assert.Equal(0x7F_C000_0800UL, Msr(0x201));                      // ... 1 GiB at 39 physical address bits, valid
        Assert.Equal(0UL, Msr(0x202) | Msr(0x203));                      // the other variable ranges are left free
    }

    [Fact]
    public void PostSelfTestsTheKeyboardControllerAndTurnsScanCodeTranslationOn()
    {
        var rtc = new CmosRtc(128UL << 20, 0, 1, new DateTime(2031, 12, 25, 13, 45, 30, DateTimeKind.Utc));
        using var memory = new Memory.PhysicalMemory(1 << 20);
        var kbc = new I8042();
        var bios = new BiosServices(memory, new MemoryMap(128UL << 20), null, rtc, _ => { }, keyboardController: kbc);
        var r = new BiosRegisters();
        bios.Handle(0, BiosTrapPorts.Post, ref r);

        Assert.Equal(0x45, kbc.CommandByte);                        // keyboard interrupt, system flag, translation
        Assert.Equal(0x04u, kbc.In(I8042.CommandPort, 1) & 0x05);    // system flag set, output buffer empty (0x55 read)
    }

    [Fact]
    public void Int1AReadsTheRtcInBcdAndTicksFromSimulatedTime()
    {
        var rtc = new CmosRtc(128UL << 20, 0, 1, new DateTime(2031, 12, 25, 13, 45, 30, DateTimeKind.Utc));
        using var memory = new Memory.PhysicalMemory(1 << 20);
        var bios = new BiosServices(memory, new MemoryMap(128UL << 20), null, rtc, _ => { });
        var r = new BiosRegisters { Eax = 0x0200 };
        bios.Handle(0, BiosTrapPorts.Time, ref r);
        Assert.Equal((0x1345u, 0x3000u, false), (r.Ecx & 0xFFFF, r.Edx & 0xFFFF, r.Carry));
        r = new BiosRegisters { Eax = 0x0400 };
        bios.Handle(0, BiosTrapPorts.Time, ref r);
        Assert.Equal((0x2031u, 0x1225u), (r.Ecx & 0xFFFF, r.Edx & 0xFFFF));
        rtc.AdvanceTo(10_000_000_000); // 10 s later
        r = new BiosRegisters { Eax = 0x0000 };
        bios.Handle(0, BiosTrapPorts.Time, ref r);
        long expected = (long)new TimeSpan(13, 45, 40).Ticks * 1_193_182 / (65536L * TimeSpan.TicksPerSecond);
        Assert.Equal((uint)expected, (r.Ecx & 0xFFFF) << 16 | (r.Edx & 0xFFFF));
    }

    [Fact]
    public void TimerHandlerCountsTicksWrapsAtMidnightAndInt1AReportsTheRollover()
    {
        byte[] image = Build(a =>
        {
            a.mov(eax, __dword_ptr[0x46C]); a.mov(__dword_ptr[Results], eax);
            a.@int(0x08); a.@int(0x08); a.@int(0x08);        // three IRQ0s, as the PIT would deliver them
            a.mov(eax, __dword_ptr[0x46C]); a.mov(__dword_ptr[Results + 4], eax);
            a.mov(__dword_ptr[0x46C], 0x1800AF);             // one tick before midnight
            a.@int(0x08);
            a.mov(eax, __dword_ptr[0x46C]); a.mov(__dword_ptr[Results + 8], eax);
            a.mov(ah, 0x00); a.@int(0x1A); a.mov(__byte_ptr[Results + 12], al);
            a.mov(ah, 0x00); a.@int(0x1A); a.mov(__byte_ptr[Results + 13], al);
            Exit(a, 10);
        });
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        Assert.Equal(21, m.ExitCode);
        Assert.Equal(m.Dword(Results) + 3, m.Dword(Results + 4));
        Assert.Equal(0u, m.Dword(Results + 8));
        Assert.Equal(1, m.Byte(Results + 12));   // the rollover flag, then cleared by the read
        Assert.Equal(0, m.Byte(Results + 13));
    }

    [Fact]
    public void WithIrq0UnmaskedThePitTicksTheBdaClockThroughThePic()
    {
        byte[] image = Build(a =>
        {
            Label wait = a.CreateLabel();
            a.mov(eax, __dword_ptr[0x46C]); a.mov(__dword_ptr[Results], eax);
            a.add(eax, 5); a.mov(ebx, eax);
            a.mov(al, 0xFA); a.@out(0x21, al);              // unmask IRQ0 (and keep the cascade)
            a.sti();
            a.Label(ref wait);
            a.hlt();
            a.cmp(__dword_ptr[0x46C], ebx);
            a.jb(wait);
            a.cli();
            a.mov(eax, __dword_ptr[0x46C]); a.mov(__dword_ptr[Results + 4], eax);
            Exit(a, 11);
        });
        using var m = new BiosMachine(new DiskImage(image));
        m.RunWithTimer(maxEvents: 20);

        Assert.Equal(23, m.ExitCode);
        Assert.Equal(m.Dword(Results) + 5, m.Dword(Results + 4));
        Assert.Equal(0, m.Platform.Pic.MasterIsr);       // every tick was EOId
        Assert.Equal(0x08, m.Platform.Pic.MasterVectorBase);
    }
}
