using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class PicTests
{
    private readonly PortBus _bus = new();
    private readonly Pic8259Pair _pic = new();

    public PicTests()
    {
        _pic.AttachTo(_bus);
        // Linux's init_8259A: ICW1 edge + ICW4, ICW2 vector base, ICW3 cascade, ICW4 8086 mode.
        _bus.Out(0x20, 1, 0x11); _bus.Out(0x21, 1, 0x20); _bus.Out(0x21, 1, 0x04); _bus.Out(0x21, 1, 0x01);
        _bus.Out(0xA0, 1, 0x11); _bus.Out(0xA1, 1, 0x28); _bus.Out(0xA1, 1, 0x02); _bus.Out(0xA1, 1, 0x01);
    }

    [Fact]
    public void InitSequenceProgramsVectorsAndClearsMasks()
    {
        Assert.Equal(0x20, _pic.MasterVectorBase);
        Assert.Equal(0x28, _pic.SlaveVectorBase);
        Assert.Equal(0u, _bus.In(0x21, 1));
        _bus.Out(0x21, 1, 0xFB);
        _bus.Out(0xA1, 1, 0xFF);
        Assert.Equal(0xFBu, _bus.In(0x21, 1));
        Assert.Equal(0xFFu, _bus.In(0xA1, 1));
    }

    [Fact]
    public void Irq0OutranksIrq1AndEoiReleasesTheNext()
    {
        var intr = new List<bool>();
        _pic.InterruptChanged += intr.Add;
        _pic.RaiseIrq(1);
        _pic.RaiseIrq(0);
        Assert.True(_pic.HasInterrupt);

        Assert.Equal(0x20, _pic.Acknowledge());
        Assert.Equal(0x01, _pic.MasterIsr);
        Assert.False(_pic.HasInterrupt); // IRQ1 waits behind IRQ0 in service

        _bus.Out(0x20, 1, 0x0B); // OCW3: read ISR
        Assert.Equal(0x01u, _bus.In(0x20, 1));
        _bus.Out(0x20, 1, 0x0A); // OCW3: read IRR
        Assert.Equal(0x02u, _bus.In(0x20, 1));

        _bus.Out(0x20, 1, 0x20); // non-specific EOI
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x21, _pic.Acknowledge());
        _bus.Out(0x20, 1, 0x61); // specific EOI for IRQ1
        Assert.Equal(0, _pic.MasterIsr);
        Assert.False(_pic.HasInterrupt);
        Assert.Equal([true, false, true, false], intr);
    }

    [Fact]
    public void MaskedIrqIsHeldUntilUnmasked()
    {
        _bus.Out(0x21, 1, 0x01);
        _pic.RaiseIrq(0);
        Assert.False(_pic.HasInterrupt);
        Assert.Equal(0x01, _pic.MasterIrr);
        _bus.Out(0x21, 1, 0x00);
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x20, _pic.Acknowledge());
    }

    [Fact]
    public void EdgeTriggeredInputLatchesOncePerRisingEdge()
    {
        _pic.RaiseIrq(3);
        Assert.Equal(0x23, _pic.Acknowledge());
        _bus.Out(0x20, 1, 0x20);
        _pic.RaiseIrq(3); // still high: no new edge
        Assert.False(_pic.HasInterrupt);
        _pic.LowerIrq(3);
        _pic.RaiseIrq(3);
        Assert.True(_pic.HasInterrupt);
    }

    [Fact]
    public void SlaveIrqCascadesThroughIrq2()
    {
        _pic.RaiseIrq(12);
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x2C, _pic.Acknowledge());
        Assert.Equal(0x10, _pic.SlaveIsr);
        Assert.Equal(0x04, _pic.MasterIsr);
        _bus.Out(0xA0, 1, 0x20);
        _bus.Out(0x20, 1, 0x20);
        Assert.Equal(0, _pic.SlaveIsr | _pic.MasterIsr);
    }

    [Fact]
    public void RequestThatVanishesGivesSpuriousIrq7WithoutIsr()
    {
        _pic.RaiseIrq(4);
        _bus.Out(0x21, 1, 0x10); // masked before the INTA cycle
        Assert.Equal(0x27, _pic.Acknowledge());
        Assert.Equal(0, _pic.MasterIsr);
    }

    [Fact]
    public void LevelTriggeredInputFollowsTheLineViaElcr()
    {
        _bus.Out(0x4D1, 1, 0x0E); // IRQ9–11 level
        Assert.Equal(0x0Eu, _bus.In(0x4D1, 1));
        _pic.RaiseIrq(10);
        Assert.True(_pic.HasInterrupt);
        Assert.Equal(0x04, _pic.SlaveIrr);
        _pic.LowerIrq(10);
        Assert.Equal(0, _pic.SlaveIrr); // a level request vanishes with its line
        // The master already latched the cascade edge, so the INTA cycle finds nothing on the slave:
        // spurious IRQ15, with master IR2 left in service for the handler to EOI (as Linux's does).
        Assert.Equal(0x2F, _pic.Acknowledge());
        Assert.Equal(0, _pic.SlaveIsr);
        Assert.Equal(0x04, _pic.MasterIsr);
    }

    [Fact]
    public void ReinitialisationNeedsAFreshEdge()
    {
        _pic.RaiseIrq(5);
        _bus.Out(0x20, 1, 0x11); _bus.Out(0x21, 1, 0x40); _bus.Out(0x21, 1, 0x04); _bus.Out(0x21, 1, 0x01);
        Assert.Equal(0, _pic.MasterIrr);
        _pic.RaiseIrq(5); // still high: no edge
        Assert.False(_pic.HasInterrupt);
        _pic.LowerIrq(5);
        _pic.RaiseIrq(5);
        Assert.Equal(0x45, _pic.Acknowledge());
    }
}
