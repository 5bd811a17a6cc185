using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class PortBusTests
{
    [Fact]
    public void UnclaimedPortsReadAllOnesAndAreRecorded()
    {
        var bus = new PortBus();
        var seen = new List<UnclaimedPortAccess>();
        bus.Unclaimed += seen.Add;

        Assert.Equal(0xFFu, bus.In(0x80, 1));
        Assert.Equal(0xFFFFu, bus.In(0x1234, 2));
        Assert.Equal(0xFFFF_FFFFu, bus.In(0xCF8, 4));
        bus.Out(0x80, 1, 0x1AB);

        Assert.Equal(4, bus.UnclaimedCount);
        Assert.Equal(new UnclaimedPortAccess(0x80, 1, true, 0xAB), bus.UnclaimedAccesses[3]);
        Assert.Equal(new UnclaimedPortAccess(0x1234, 2, false, 0xFFFF), bus.UnclaimedAccesses[1]);
        Assert.Equal(4, seen.Count);
    }

    [Fact]
    public void DispatchesByPortAndRejectsOverlaps()
    {
        var bus = new PortBus();
        var uart = new Uart16550(_ => { });
        uart.AttachTo(bus);
        Assert.Same(uart, bus.DeviceAt(0x3FF));
        Assert.Null(bus.DeviceAt(0x400));

        bus.Out(0x3FF, 1, 0x5A);
        Assert.Equal(0x5Au, bus.In(0x3FF, 1));
        Assert.Equal(0, bus.UnclaimedCount);

        Assert.Throws<InvalidOperationException>(() => bus.Register(0x3FC, 8, new DebugExit()));
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.Register(0xFFFF, 2, new DebugExit()));
    }
}
