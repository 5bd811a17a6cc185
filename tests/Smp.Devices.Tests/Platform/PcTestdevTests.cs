using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform;

/// <summary>QEMU's pc-testdev as kvm-unit-tests uses it: scratch ports, flush page, interrupt lines, MMIO scratch.</summary>
public sealed class PcTestdevTests
{
    private readonly List<(int Line, bool Level)> _lines = [];
    private readonly PortBus _bus = new();
    private readonly PcTestdev _dev;

    public PcTestdevTests()
    {
        _dev = new PcTestdev((line, level) => _lines.Add((line, level)));
        _dev.AttachTo(_bus);
    }

    [Fact]
    public void The_scratch_register_keeps_each_byte_lane_at_its_own_port_and_the_byte_alias_sees_the_same_value()
    {
        _bus.Out(0xE0, 4, 0x1122_3344);
        Assert.Equal(0x1122_3344u, _bus.In(0xE0, 4));
        _bus.Out(0xE2, 1, 0xAB);
        Assert.Equal(0x11AB_3344u, _bus.In(0xE0, 4));
        Assert.Equal(0x11ABu, _bus.In(0xE2, 2));
        Assert.Equal(0x11AB_3344u, _bus.In(0xE8, 4));
        _bus.Out(0xE9, 2, 0xBEEF);
        Assert.Equal(0x11BE_EF44u, _dev.Scratch);
    }

    [Fact]
    public void Only_a_32_bit_write_to_the_flush_port_requests_a_page_flush()
    {
        var flushed = new List<ulong>();
        _dev.PageFlushRequested += flushed.Add;
        _bus.Out(0xE4, 1, 0x12);
        _bus.Out(0xE4, 2, 0x1234);
        _bus.Out(0xE4, 4, 0x0012_3456);
        Assert.Equal([0x0012_3000UL], flushed);
        Assert.Equal(0u, _bus.In(0xE4, 4));
    }

    [Fact]
    public void Byte_writes_to_0x2000_plus_n_raise_and_lower_line_n_and_wider_writes_split_into_bytes()
    {
        _bus.Out(0x2000 + 14, 1, 1);
        _bus.Out(0x2000 + 14, 1, 0);
        _bus.Out(0x2000 + 20, 1, 0xFF);
        _bus.Out(0x2000 + 11, 4, 1);       // realmode's outl: line 11 up, 12-14 down
        _bus.Out(0x2000 + 22, 4, 0x0101); // only lines 22 and 23 exist
        Assert.Equal([(14, true), (14, false), (20, true), (11, true), (12, false), (13, false), (14, false), (22, true), (23, true)], _lines);
        Assert.Equal(0u, _bus.In(0x2000, 1));
    }

    [Fact]
    public void The_mmio_window_is_64_KiB_of_scratch_memory()
    {
        _dev.Write(PcTestdev.MmioBase + 0x10, 8, 0x0102_0304_0506_0708);
        _dev.Write(PcTestdev.MmioBase + 0xFFFF, 1, 0x5A);
        Assert.Equal(0x0102_0304_0506_0708UL, _dev.Read(PcTestdev.MmioBase + 0x10, 8));
        Assert.Equal(0x0405u, _dev.Read(PcTestdev.MmioBase + 0x13, 2));
        Assert.Equal(0x5Au, _dev.Read(PcTestdev.MmioBase + 0xFFFF, 1));
    }

    [Fact]
    public void A_platform_without_test_devices_leaves_the_ports_unclaimed_and_isa_debug_exit_answers_0xF4_to_0xF7()
    {
        var plain = new PcPlatform(1, 16UL << 20, _ => { });
        Assert.Null(plain.Testdev);
        Assert.Null(plain.Ports.DeviceAt(0xE0));
        for (ushort p = 0xF4; p <= 0xF7; p++) Assert.Same(plain.DebugExit, plain.Ports.DeviceAt(p));
        var test = new PcPlatform(1, 16UL << 20, _ => { }, testDevices: true);
        Assert.Same(test.Testdev, test.Ports.DeviceAt(0xE4));
        Assert.Same(test.Testdev, test.Ports.DeviceAt(0x2017));
        Assert.Null(test.Ports.DeviceAt(0x2018));
    }

    [Fact]
    public void In_a_machine_a_testdev_irq_line_reaches_the_cpu_through_the_io_apic_and_the_mmio_scratch_is_mapped()
    {
        using var machine = new MachineType(Config(1) with { TestDevices = true });
        Load(machine, a =>
        {
            a.lidt(__[IdtDescriptor]);
            a.mov(al, 0xFF);
            a.@out(0x21, al);                               // PIC fully masked
            a.mov(__dword_ptr[0xFEC00000], 0x10 + (14 * 2)); // redirection entry 14, low dword
            a.mov(__dword_ptr[0xFEC00010], 0x41);            // vector 0x41, fixed, physical, edge, unmasked
            a.mov(__dword_ptr[0xFF000100], 0x5A5A_0001);     // MMIO scratch
            a.mov(eax, 0x7000);
            a.@out(0xE4, eax);                               // flush page 0x7000 (nothing observable breaks)
            a.sti();
            a.mov(dx, 0x2000 + 14);
            a.mov(al, 1);
            a.@out(dx, al);                                  // raise IRQ 14: an edge on pin 14
            var idle = a.CreateLabel();
            a.Label(ref idle);
            a.hlt();
            a.jmp(idle);
        });
        machine.Memory.Load(0xB000, Assemble(32, 0xB000, a =>
        {
            a.mov(eax, __dword_ptr[0xFF000100]);
            a.@out(0xF4, al);
            a.hlt();
        }));
        Gate(machine.Memory, 0x41, 0xB000);

        var result = machine.Run();

        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal((1 << 1) | 1, result.ExitCode);
    }
}
