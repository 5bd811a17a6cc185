using Smp.Devices.Memory;
using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class PcPlatformTests
{
    [Fact]
    public void PitTicksReachBothInterruptControllers()
    {
        var pc = new PcPlatform(cpuCount: 2, ramBytes: 32UL << 20, serialOutput: _ => { });
        var ioApicMessages = new List<IoApicInterrupt>();
        pc.IoApic.InterruptRequested += ioApicMessages.Add;
        var ports = pc.Ports;
        // PIT channel 0, mode 2, 100 Hz. Setting mode 2 drives OUT0 high (an edge the PIC latches, as on hardware);
        // the PIC's ICW1 below clears it, and the masked I/O APIC pin ignores it.
        ports.Out(0x43, 1, 0x34); ports.Out(0x40, 1, 11932 & 0xFF); ports.Out(0x40, 1, 11932 >> 8);
        Assert.True(pc.Pit.Irq0Level);
        // PIC: vectors 0x30/0x38, only IRQ0 unmasked.
        foreach (var (port, value) in new (ushort, uint)[] { (0x20, 0x11), (0x21, 0x30), (0x21, 0x04), (0x21, 0x01), (0xA0, 0x11), (0xA1, 0x38), (0xA1, 0x02), (0xA1, 0x01), (0x21, 0xFE) })
            ports.Out(port, 1, value);
        // I/O APIC pin 2 → vector 0x40 on APIC 1.
        using var memory = new PhysicalMemory(32UL << 20);
        pc.AttachTo(memory);
        memory.Write(0xFEC00000, 4, 0x14); memory.Write(0xFEC00010, 4, 0x40);
        memory.Write(0xFEC00000, 4, 0x15); memory.Write(0xFEC00010, 4, 0x0100_0000);

        Assert.False(pc.Pic.HasInterrupt);
        Assert.Empty(ioApicMessages);
        long next = Assert.NotNull(pc.NextEventTime);
        Assert.Equal(Pit8254.TimeOfTick(11932), next);
        pc.AdvanceTo(next - 1);
        Assert.False(pc.Pic.HasInterrupt);
        pc.AdvanceTo(next);
        Assert.True(pc.Pic.HasInterrupt);
        Assert.Equal(0x30, pc.Pic.Acknowledge());
        Assert.Equal(new IoApicInterrupt(0x40, IoApicDeliveryMode.Fixed, 1, false, false, 2), Assert.Single(ioApicMessages));
    }

    [Fact]
    public void SerialDebugExitAndFirmwareAreWired()
    {
        var output = new List<byte>();
        var pc = new PcPlatform(cpuCount: 4, ramBytes: 64UL << 20, serialOutput: output.Add);
        int? exit = null;
        pc.DebugExit.ExitRequested += code => exit = code;
        pc.Ports.Out(0x3F8, 1, 'A');
        pc.Ports.Out(0xF4, 1, 0x10);
        Assert.Equal("A"u8.ToArray(), output);
        Assert.Equal(0x21, exit);

        pc.Ports.Out(0x510, 2, 5);
        Assert.Equal(4u, pc.Ports.In(0x511, 2));
        pc.Ports.Out(0x70, 1, 0x5F);
        Assert.Equal(3u, pc.Ports.In(0x71, 1));

        using var memory = new PhysicalMemory(64UL << 20);
        pc.AttachTo(memory);
        Assert.Equal(0x2052_5450_2044_5352UL, memory.Read(AcpiTables.DefaultRsdpAddress, 8)); // "RSD PTR "
        Assert.Equal(0x5F50_4D5FUL, memory.Read(MpTable.DefaultFloatingPointerAddress, 4)); // "_MP_"
    }

    [Fact]
    public void UartInterruptRaisesIrq4AndUnmodelledBitsAreLogged()
    {
        var pc = new PcPlatform(cpuCount: 1, ramBytes: 4UL << 20, serialOutput: _ => { });
        pc.Ports.Out(0x3F9, 1, 0x02); // THRE interrupt
        Assert.Equal(0x10, pc.Pic.MasterIrr);

        pc.Ports.Out(0x3FA, 1, 0x09); // FIFO + DMA mode
        pc.Ports.Out(0x3FA, 1, 0x09);
        Assert.Contains("uart16550: FCR DMA mode select", pc.Log.Entries);
        Assert.Equal(2, pc.Log.CountOf("uart16550: FCR DMA mode select"));
    }
}
