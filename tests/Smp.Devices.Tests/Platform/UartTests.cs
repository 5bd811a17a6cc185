using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class UartTests
{
    private readonly List<byte> _sent = [];
    private readonly PortBus _bus = new();
    private readonly Uart16550 _uart;

    public UartTests()
    {
        _uart = new Uart16550(_sent.Add);
        _uart.AttachTo(_bus);
    }

    [Fact]
    public void TransmittedBytesReachTheSinkImmediately()
    {
        foreach (char c in "Hi\n") _bus.Out(0x3F8, 1, c);
        Assert.Equal("Hi\n"u8.ToArray(), _sent);
    }

    [Fact]
    public void StreamSinkReceivesBytes()
    {
        var stream = new MemoryStream();
        var uart = new Uart16550(stream);
        uart.Out(0x3F8, 1, 'O');
        uart.Out(0x3F8, 1, 'K');
        Assert.Equal("OK"u8.ToArray(), stream.ToArray());
    }

    [Fact]
    public void LineStatusShowsTransmitterEmptyAndDataReady()
    {
        Assert.Equal(0x60u, _bus.In(0x3FD, 1)); // THRE | TEMT, no data
        _uart.Receive((byte)'A');
        Assert.Equal(0x61u, _bus.In(0x3FD, 1)); // + DR
        Assert.Equal((uint)'A', _bus.In(0x3F8, 1));
        Assert.Equal(0x60u, _bus.In(0x3FD, 1));
    }

    [Fact]
    public void DivisorLatchRoundTripsAndHidesRbrWhileDlabIsSet()
    {
        _bus.Out(0x3FB, 1, 0x80); // DLAB
        _bus.Out(0x3F8, 1, 0x01); // DLL: 115200 baud
        _bus.Out(0x3F9, 1, 0x02); // DLM
        Assert.Equal(0x01u, _bus.In(0x3F8, 1));
        Assert.Equal(0x02u, _bus.In(0x3F9, 1));
        Assert.Equal(0x0201, _uart.Divisor);
        Assert.Empty(_sent); // a DLL write is not a transmission
        _bus.Out(0x3FB, 1, 0x03); // 8N1, DLAB off
        Assert.Equal(0x03u, _bus.In(0x3FB, 1));
        Assert.Equal(0x00u, _bus.In(0x3F9, 1)); // IER again
    }

    [Fact]
    public void ScratchRegisterHoldsItsValue()
    {
        _bus.Out(0x3FF, 1, 0xA5);
        Assert.Equal(0xA5u, _bus.In(0x3FF, 1));
        _bus.Out(0x3FF, 1, 0x5A);
        Assert.Equal(0x5Au, _bus.In(0x3FF, 1));
    }

    [Fact]
    public void ThreInterruptIsRaisedClearedByIirReadAndRaisedAgainByTransmission()
    {
        var levels = new List<bool>();
        _uart.InterruptChanged += levels.Add;
        Assert.Equal(0x01u, _bus.In(0x3FA, 1)); // no interrupt pending

        _bus.Out(0x3F9, 1, 0x02); // ETBEI
        Assert.True(_uart.InterruptPending);
        Assert.Equal(0x02u, _bus.In(0x3FA, 1)); // THRE; reading IIR clears it
        Assert.False(_uart.InterruptPending);
        Assert.Equal(0x01u, _bus.In(0x3FA, 1));

        _bus.Out(0x3F8, 1, 'x');
        Assert.True(_uart.InterruptPending);
        Assert.Equal([true, false, true], levels);
    }

    [Fact]
    public void ReceivedDataInterruptOutranksThre()
    {
        _bus.Out(0x3F9, 1, 0x03); // ERBFI | ETBEI
        _uart.Receive("ab"u8);
        Assert.Equal(0x04u, _bus.In(0x3FA, 1));
        Assert.Equal((uint)'a', _bus.In(0x3F8, 1));
        Assert.Equal((uint)'b', _bus.In(0x3F8, 1));
        Assert.Equal(0x02u, _bus.In(0x3FA, 1)); // THRE was still pending underneath
        Assert.False(_uart.InterruptPending);
    }

    [Fact]
    public void FifoEnableShowsInIirAndLoopbackFeedsModemStatus()
    {
        _bus.Out(0x3FA, 1, 0x07);
        Assert.Equal(0xC1u, _bus.In(0x3FA, 1));
        Assert.Equal(0xB0u, _bus.In(0x3FE, 1)); // DCD | DSR | CTS
        _bus.Out(0x3FC, 1, 0x1A); // LOOP | OUT2 | RTS, as Linux's 8250 probe writes
        Assert.Equal(0x90u, _bus.In(0x3FE, 1) & 0xF0);
        _bus.Out(0x3F8, 1, 0x55);
        Assert.Empty(_sent);
        Assert.Equal(0x55u, _bus.In(0x3F8, 1));
    }
}
