using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class DebugExitTests
{
    [Theory]
    [InlineData(0u, 1, 1)]
    [InlineData(1u, 1, 3)]
    [InlineData(0x31u, 1, 0x63)]
    [InlineData(0x10u, 4, 0x21)]
    public void WriteRequestsExitWithQemuCode(uint value, int size, int expected)
    {
        var bus = new PortBus();
        var exit = new DebugExit();
        exit.AttachTo(bus);
        var codes = new List<int>();
        exit.ExitRequested += codes.Add;

        bus.Out(0xF4, size, value);

        Assert.Equal([expected], codes);
        Assert.Equal(expected, exit.RequestedExitCode);
        Assert.Equal(0u, bus.In(0xF4, 1));
    }
}
