using Smp.Devices.Cpu;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Bios.GuestDisk;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class BiosBootTests
{
    [Fact]
    public void ResetRunsPostAndBootsTheSectorAt7C00WithDl80()
    {
        byte[] image = Build(a =>
        {
            Print(a, "Hi");
            a.mov(ax, 0x0E56); // INT 10h teletype 'V'
            a.mov(bx, 0x0007);
            a.@int(0x10);
            Exit(a, 0x10);
        });
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        Assert.Equal(0x21, m.ExitCode);
        Assert.Equal("Hi", m.SerialText);
        Assert.Equal("V", m.ConsoleText);
        Assert.Equal(0x0080, m.Word(EntryDx));
        Assert.Equal(BiosRom.StackTop, m.Word(EntrySp));
        Assert.Equal(0, m.Word(EntrySs));
        Assert.Equal(0, m.Word(EntryDs));
        Assert.Equal(0x7C00 + 5 * 4 + 3, m.Word(EntryIp)); // CS = 0: the label after five 4-byte stores and a 3-byte call
        Assert.Equal(0x0001, m.Word(LoaderAx)); // AH = 0, AL = 1 sector read (CHS)
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(BiosTrapPorts.Post, m.Traps[0]);
    }

    [Fact]
    public void PostFillsTheIvtDataAreaAndProgramsThePics()
    {
        using var m = new BiosMachine(new DiskImage(Build(a => Exit(a, 0))));
        m.Run();

        // IVT: services → trap stubs, IRQs → EOI handlers, the rest → the default IRET, all in segment F000.
        Assert.Equal(0xF000_0000u | BiosRom.TrapStub(BiosTrapPorts.Disk), m.Dword(0x13 * 4));
        Assert.Equal(0xF000_0000u | BiosRom.TrapStub(BiosTrapPorts.System), m.Dword(0x15 * 4));
        Assert.Equal(0xF000_0000u | BiosRom.TimerIrqHandler, m.Dword(0x08 * 4));
        Assert.Equal(0xF000_0000u | BiosRom.MasterIrqHandler, m.Dword(0x0C * 4));
        Assert.Equal(0xF000_0000u | BiosRom.SlaveIrqHandler, m.Dword(0x74 * 4));
        Assert.Equal(0xF000_0000u | BiosRom.BootstrapEntry, m.Dword(0x19 * 4));
        Assert.Equal(0xF000_0000u | BiosRom.DefaultHandler, m.Dword(0x1C * 4));
        Assert.Equal(0xCF, m.Rom[BiosRom.DefaultHandler]); // IRET

        // BIOS data area and EBDA.
        Assert.Equal(0x3F8, m.Word(0x400));
        Assert.Equal(0x9FC0, m.Word(0x40E));
        Assert.Equal(0x0222, m.Word(0x410));
        Assert.Equal(639, m.Word(0x413));
        Assert.Equal(1, m.Byte(0x475));
        Assert.Equal(3, m.Byte(0x449));
        Assert.Equal(1, m.Byte(0x9FC00));

        // PICs: remapped (an IRQ would use 08h/70h), everything masked but the tick and the cascade; interrupts off.
        Assert.Equal(0xFAu, m.Platform.Ports.In(0x21, 1)); // IRQ0 (the tick) and the cascade unmasked
        Assert.Equal(0xFFu, m.Platform.Ports.In(0xA1, 1));
        Assert.Equal(0UL, m.Cpu.GetRflags() & Rflags.IF);
    }

    [Fact]
    public void WarmResetJumpsThroughTheBdaVectorWhenCmosSaysSo()
    {
        byte[] resume = Assemble(0x8000, a => { Print(a, "warm"); Exit(a, 3); });
        using var m = new BiosMachine(new DiskImage(Build(a => Exit(a, 0))), beforeReset: pc => pc.Rtc.Poke(0x0F, 0x0A));
        m.Memory.Load(0x8000, resume);
        m.Memory.Write(0x467, 4, 0x0000_8000);
        m.Run();

        Assert.Equal(7, m.ExitCode);
        Assert.Equal("warm", m.SerialText);
        Assert.Equal(0, m.Platform.Rtc.ShutdownStatus);
        Assert.DoesNotContain(BiosTrapPorts.Post, m.Traps);
    }

    [Fact]
    public void WithoutADiskInt19PrintsAMessageAndHalts()
    {
        using var m = new BiosMachine(disk: null);
        m.Run();

        Assert.Null(m.ExitCode);
        Assert.StartsWith("No bootable disk", m.ConsoleText);
        Assert.Equal(RunState.Halted, m.Cpu.State);
    }
}
