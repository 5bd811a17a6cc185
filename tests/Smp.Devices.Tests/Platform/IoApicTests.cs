using Smp.Devices.Memory;
using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class IoApicTests : IDisposable
{
    private const ulong Base = 0xFEC00000;
    private readonly PhysicalMemory _memory = new(2 * 1024 * 1024);
    private readonly IoApic _ioApic = new(id: 4);
    private readonly List<IoApicInterrupt> _sent = [];

    public IoApicTests()
    {
        _ioApic.AttachTo(_memory);
        _ioApic.InterruptRequested += _sent.Add;
    }

    public void Dispose() => _memory.Dispose();

    private uint ReadReg(byte index)
    {
        _memory.Write(Base, 4, index);
        return (uint)_memory.Read(Base + 0x10, 4);
    }

    private void WriteReg(byte index, uint value)
    {
        _memory.Write(Base, 4, index);
        _memory.Write(Base + 0x10, 4, value);
    }

    [Fact]
    public void IdentificationRegisters()
    {
        Assert.Equal(0x0400_0000u, ReadReg(0x00));
        Assert.Equal(0x0017_0011u, ReadReg(0x01));
        Assert.Equal(0x0400_0000u, ReadReg(0x02));
        WriteReg(0x00, 0x0200_0000);
        Assert.Equal(2, _ioApic.Id);
        WriteReg(0x01, 0);
        Assert.Equal(0x0017_0011u, ReadReg(0x01)); // read-only
    }

    [Fact]
    public void EntriesResetMaskedAndDropInterrupts()
    {
        for (int pin = 0; pin < 24; pin++) Assert.Equal(0x0001_0000u, ReadReg((byte)(0x10 + 2 * pin)));
        _ioApic.RaiseIrq(1);
        Assert.Empty(_sent);
    }

    [Fact]
    public void ProgrammedEdgeEntryRoutesOnceperRisingEdge()
    {
        WriteReg(0x10 + 2 * 2, 0x0000_0830); // vector 0x30, fixed, logical, edge, active high, unmasked
        WriteReg(0x11 + 2 * 2, 0x0100_0000); // destination MDA 0x01
        Assert.Equal(0x0000_0830u, ReadReg(0x14));
        Assert.Equal(0x0100_0000u, ReadReg(0x15));
        Assert.Equal(0x0100_0000_0000_0830UL, _ioApic.RedirectionEntry(2));

        _ioApic.RaiseIrq(2);
        _ioApic.RaiseIrq(2); // no new edge
        _ioApic.LowerIrq(2);
        _ioApic.RaiseIrq(2);

        var expected = new IoApicInterrupt(0x30, IoApicDeliveryMode.Fixed, 0x01, Logical: true, LevelTriggered: false, Gsi: 2);
        Assert.Equal([expected, expected], _sent);
    }

    [Fact]
    public void DeliveryModesAndPhysicalDestination()
    {
        WriteReg(0x10 + 2 * 5, 0x0000_0400); // NMI
        WriteReg(0x11 + 2 * 5, 0x0300_0000);
        WriteReg(0x10 + 2 * 6, 0x0000_0141); // lowest priority, vector 0x41
        _ioApic.RaiseIrq(5);
        _ioApic.RaiseIrq(6);
        Assert.Equal(new IoApicInterrupt(0, IoApicDeliveryMode.Nmi, 3, false, false, 5), _sent[0]);
        Assert.Equal(new IoApicInterrupt(0x41, IoApicDeliveryMode.LowestPriority, 0, false, false, 6), _sent[1]);
    }

    [Fact]
    public void LevelEntryWaitsForEoiAndRedeliversWhileAsserted()
    {
        WriteReg(0x10 + 2 * 9, 0x0000_8051); // vector 0x51, fixed, physical, level
        _ioApic.RaiseIrq(9);
        Assert.Single(_sent);
        Assert.True(_sent[0].LevelTriggered);
        Assert.NotEqual(0u, ReadReg(0x10 + 2 * 9) & 0x4000); // Remote IRR
        _ioApic.RaiseIrq(9);
        Assert.Single(_sent);

        _ioApic.EndOfInterrupt(0x51); // line still high: delivered again
        Assert.Equal(2, _sent.Count);
        _ioApic.LowerIrq(9);
        _ioApic.EndOfInterrupt(0x51);
        Assert.Equal(2, _sent.Count);
        Assert.Equal(0u, ReadReg(0x10 + 2 * 9) & 0x4000);
    }

    [Fact]
    public void MaskedEntryHoldsTheLevelUntilUnmasked()
    {
        WriteReg(0x10 + 2 * 10, 0x0001_8052); // level, masked
        _ioApic.RaiseIrq(10);
        Assert.Empty(_sent);
        WriteReg(0x10 + 2 * 10, 0x0000_8052);
        Assert.Equal(0x52, Assert.Single(_sent).Vector);
    }
}

public sealed class IoApicPolarityTests
{
    private readonly IoApic _ioApic = new();
    private readonly List<IoApicInterrupt> _sent = [];

    public IoApicPolarityTests() => _ioApic.InterruptRequested += _sent.Add;

    private void Program(int pin, uint low)
    {
        _ioApic.Write(IoApic.DefaultBase, 4, (ulong)(0x10 + 2 * pin));
        _ioApic.Write(IoApic.DefaultBase + 0x10, 4, low);
    }

    private uint ReadLow(int pin)
    {
        _ioApic.Write(IoApic.DefaultBase, 4, (ulong)(0x10 + 2 * pin));
        return (uint)_ioApic.Read(IoApic.DefaultBase + 0x10, 4);
    }

    [Fact]
    public void Active_low_level_entry_is_asserted_by_an_idle_low_line()
    {
        Program(11, 0x0000_A051); // vector 0x51, level, active low, unmasked
        Assert.Single(_sent);     // the line idles low: asserted at once
        Assert.NotEqual(0u, ReadLow(11) & (1 << 14)); // Remote IRR
        _ioApic.SetIrq(11, true); // the device releases the line (high = deasserted)
        _ioApic.EndOfInterrupt(0x51);
        Assert.Single(_sent);
        Assert.Equal(0u, ReadLow(11) & (1 << 14));
    }

    [Fact]
    public void Active_low_edge_entry_fires_on_the_falling_edge()
    {
        _ioApic.SetIrq(3, true);
        Program(3, 0x0000_2033); // edge, active low
        Assert.Empty(_sent);
        _ioApic.SetIrq(3, false);
        Assert.Single(_sent);
        _ioApic.SetIrq(3, true);
        Assert.Single(_sent);
    }

    [Fact]
    public void Level_entry_redelivers_after_eoi_while_still_asserted_and_edge_switch_clears_remote_irr()
    {
        Program(9, 0x0000_8039); // SCI: level, active high
        _ioApic.SetIrq(9, true);
        Assert.Single(_sent);
        Assert.True(_sent[0].LevelTriggered);
        _ioApic.SetIrq(9, true);
        Assert.Single(_sent); // Remote IRR holds it
        _ioApic.EndOfInterrupt(0x39);
        Assert.Equal(2, _sent.Count); // still asserted: sent again
        // Linux's EOI for a version 0x11 I/O APIC: mask, switch to edge (clears Remote IRR), back to level.
        Program(9, 0x0001_0039);
        Assert.Equal(0u, ReadLow(9) & (1 << 14));
        _ioApic.SetIrq(9, false);
        Program(9, 0x0000_8039);
        Assert.Equal(2, _sent.Count);
    }

    [Fact]
    public void Edges_while_masked_are_lost()
    {
        Program(4, 0x0001_0034);
        _ioApic.SetIrq(4, true);
        _ioApic.SetIrq(4, false);
        Program(4, 0x0000_0034);
        Assert.Empty(_sent);
    }
}
