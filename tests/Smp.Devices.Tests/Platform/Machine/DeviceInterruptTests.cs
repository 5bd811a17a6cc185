using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>Device interrupts through the machine's wiring: PIT → PIC → BSP LINT0 (ExtINT), and PIT → I/O APIC → APIC bus.</summary>
public sealed class DeviceInterruptTests
{
    private static void StartPit1ms(Assembler a)
    {
        Out(a, 0x43, 0x34);      // channel 0, lo/hi, mode 2
        Out(a, 0x40, 1193 & 0xFF); // 1193 ticks of 1.193182 MHz ≈ 1 ms
        Out(a, 0x40, 1193 >> 8);
    }

    private static MachineResult Run(Action<Assembler> bsp32, ulong handlerAddress, Action<Assembler> handler, int vector)
    {
        using var machine = new MachineType(GuestBuilder.Config(1));
        Load(machine, a =>
        {
            a.lidt(__[IdtDescriptor]);
            bsp32(a);
            StartPit1ms(a);
            a.sti();
            var idle = a.CreateLabel();
            a.Label(ref idle);
            a.hlt();
            a.jmp(idle);
        });
        // The first edge comes when the PIT's output goes high at programming time; exit on the second (≈ 1 ms).
        machine.Memory.Load(handlerAddress, Assemble(32, handlerAddress, a =>
        {
            var ret = a.CreateLabel();
            a.inc(__dword_ptr[0x5100]);
            a.cmp(__dword_ptr[0x5100], 2);
            a.jb(ret);
            Exit(a, (byte)vector);
            a.Label(ref ret);
            handler(a);
            a.iretd();
        }));
        Gate(machine.Memory, vector, handlerAddress);
        return machine.Run();
    }

    [Fact]
    public void Pit_interrupt_reaches_the_halted_bsp_through_the_pic_and_lint0()
    {
        var result = Run(a =>
        {
            Out(a, 0x20, 0x11); // ICW1
            Out(a, 0x21, 0x20); // ICW2: vectors 0x20-0x27
            Out(a, 0x21, 0x04); // ICW3
            Out(a, 0x21, 0x01); // ICW4: 8086 mode
            Out(a, 0x21, 0xFE); // unmask IRQ0 only
        }, 0xB000, a => Out(a, 0x20, 0x20), 0x20); // non-specific EOI
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(0x41, result.ExitCode);
        Assert.InRange(result.SimulatedNanoseconds, 900_000, 1_200_000);
        Assert.InRange(result.HostSteps, 1, 50); // the halted millisecond was skipped
    }

    [Fact]
    public void Pit_interrupt_reaches_the_bsp_through_the_io_apic_and_the_apic_bus()
    {
        var result = Run(a =>
        {
            Out(a, 0x21, 0xFF); // PIC fully masked
            a.mov(__dword_ptr[0xFEC00000], 0x14);          // redirection entry 2 (GSI 2 = PIT), low dword
            a.mov(__dword_ptr[0xFEC00010], 0x30);          // vector 0x30, fixed, physical, edge, unmasked
            a.mov(__dword_ptr[0xFEC00000], 0x15);
            a.mov(__dword_ptr[0xFEC00010], 0x0000_0000);   // destination APIC 0
        }, 0xB000, a => a.mov(__dword_ptr[0xFEE000B0], 0), 0x30);
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(0x61, result.ExitCode);
        Assert.InRange(result.SimulatedNanoseconds, 900_000, 1_200_000);
    }
}
