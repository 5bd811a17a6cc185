using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>
/// MS-DOS compatibility mode end to end (CR0.NE = 0, SDM Vol. 1 Appendix D): a pending unmasked x87 exception
/// freezes the next waiting instruction and asserts FERR#, the PC turns it into IRQ 13 through the 8259 pair, the
/// handler clears the exception and writes port F0h, and the interrupted instruction then completes.
/// </summary>
public sealed class FpuErrorInterruptTests
{
    [Fact]
    public void Pending_x87_error_without_ne_reaches_the_irq13_handler_and_the_instruction_resumes()
    {
        const ulong handler = 0xB000, controlWord = 0x5200, count = 0x5100;
        using var machine = new MachineType(Config(1));
        machine.Memory.Write(controlWord, 2, 0x037F & ~0x04); // ZE unmasked
        Load(machine, a =>
        {
            a.lidt(__[IdtDescriptor]);
            Out(a, 0x20, 0x11); Out(a, 0x21, 0x20); Out(a, 0x21, 0x04); Out(a, 0x21, 0x01); // master: vectors 20h
            Out(a, 0xA0, 0x11); Out(a, 0xA1, 0x28); Out(a, 0xA1, 0x02); Out(a, 0xA1, 0x01); // slave: vectors 28h
            Out(a, 0x21, 0xFB);                                                          // master: cascade only
            Out(a, 0xA1, 0xDF);                                                          // slave: IRQ 13 only
            a.fninit();
            a.fldcw(__word_ptr[controlWord]);
            a.fldz();
            a.fld1();
            a.fdiv(st0, st1);  // 1/0: ZE pending, ES set
            a.sti();
            a.fld1();          // waiting: FERR# → IRQ 13; runs after the handler
            a.fstp(__dword_ptr[0x5104]);
            Exit(a, 0x13);
        });
        machine.Memory.Load(handler, Assemble(32, handler, a =>
        {
            a.inc(__dword_ptr[count]);
            a.fnclex();
            Out(a, 0xF0, 0);   // clear the IRQ 13 latch
            Out(a, 0xA0, 0x20);
            Out(a, 0x20, 0x20);
            a.iretd();
        }));
        Gate(machine.Memory, 0x28 + 5, handler);
        var result = machine.Run();
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(0x27, result.ExitCode);
        Assert.Equal(1UL, machine.Memory.Read(count, 4));
        Assert.Equal(0x3F80_0000UL, machine.Memory.Read(0x5104, 4)); // the resumed FLD1 loaded 1.0
        Assert.False(machine.Platform.CoprocessorError.Latched);
    }
}
