using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class UartFifoTests
{
    private long _now;
    private readonly PortBus _bus = new();
    private readonly Uart16550 _uart;

    public UartFifoTests()
    {
        _uart = new Uart16550(_ => { }, clock: () => _now);
        _uart.AttachTo(_bus);
        _bus.Out(0x3FB, 1, 0x80);
        _bus.Out(0x3F8, 1, 0x01); // 115200 baud
        _bus.Out(0x3F9, 1, 0x00);
        _bus.Out(0x3FB, 1, 0x03); // 8N1: 10 bits a character
    }

    private uint Iir => _bus.In(0x3FA, 1);

    [Fact]
    public void Received_data_interrupt_waits_for_the_trigger_level()
    {
        _bus.Out(0x3FA, 1, 0x81); // FIFO on, trigger 8
        _bus.Out(0x3F9, 1, 0x01); // ERBFI
        _uart.Receive("1234567"u8);
        Assert.Equal(0xC1u, Iir); // below the trigger: nothing yet
        _uart.Receive((byte)'8');
        Assert.Equal(0xC4u, Iir);
        Assert.True(_uart.InterruptPending);
    }

    [Fact]
    public void Character_time_out_after_four_character_times_below_the_trigger()
    {
        _bus.Out(0x3FA, 1, 0xC1); // trigger 14
        _bus.Out(0x3F9, 1, 0x01);
        _uart.Receive("ab"u8);
        long timeout = 4 * 10 * 1_000_000_000L / 115_200; // 347 222 ns
        Assert.Equal(timeout, _uart.NextEventTime);
        _now = timeout - 1;
        _uart.AdvanceTo(_now);
        Assert.False(_uart.InterruptPending);
        _now = timeout;
        _uart.AdvanceTo(_now);
        Assert.True(_uart.InterruptPending);
        Assert.Equal(0xCCu, Iir); // character time-out
        Assert.Equal((uint)'a', _bus.In(0x3F8, 1)); // reading restarts the time-out
        Assert.False(_uart.InterruptPending);
        Assert.Equal(timeout + timeout, _uart.NextEventTime);
    }

    [Fact]
    public void Fifo_holds_sixteen_bytes_and_the_line_waits_for_room()
    {
        _bus.Out(0x3FA, 1, 0x01);
        for (int i = 0; i < 20; i++) _uart.Receive((byte)('A' + i));
        Assert.Equal(20, _uart.PendingInput);
        var read = new List<byte>();
        while ((_bus.In(0x3FD, 1) & 1) != 0) read.Add((byte)_bus.In(0x3F8, 1));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)('A' + i)), read);
        Assert.Equal(0u, _bus.In(0x3FD, 1) & 0x02); // never an overrun
    }

    [Fact]
    public void Line_status_outranks_received_data_which_outranks_thre()
    {
        _bus.Out(0x3FA, 1, 0x01);
        _bus.Out(0x3F9, 1, 0x03);
        _uart.Receive((byte)'x');
        Assert.Equal(0xC4u, Iir);
        _bus.In(0x3F8, 1);
        Assert.Equal(0xC2u, Iir); // THRE underneath; reading IIR clears it
        Assert.Equal(0xC1u, Iir);
    }

    [Fact]
    public void Changing_the_fifo_enable_clears_the_receiver()
    {
        _bus.Out(0x3FA, 1, 0x01);
        _uart.Receive("xy"u8);
        _bus.Out(0x3FA, 1, 0x00);
        Assert.Equal(0u, _bus.In(0x3FD, 1) & 1);
    }
}
