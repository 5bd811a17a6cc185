using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class I8042Tests
{
    private readonly PortBus _bus = new();
    private readonly I8042 _kbc = new();
    private readonly SystemControlPortA _portA = new();
    private readonly List<(int Irq, bool Level)> _irqs = [];

    public I8042Tests()
    {
        _kbc.AttachTo(_bus);
        _portA.AttachTo(_bus);
        _kbc.IrqChanged += (irq, level) => _irqs.Add((irq, level));
    }

    private uint Status => _bus.In(0x64, 1);

    private byte[] Drain()
    {
        var bytes = new List<byte>();
        while ((Status & 1) != 0) bytes.Add((byte)_bus.In(0x60, 1));
        return [.. bytes];
    }

    [Fact]
    public void Self_test_answers_55_and_sets_the_system_flag()
    {
        Assert.Equal(0x10u, Status); // unlocked, nothing to read
        _bus.Out(0x64, 1, 0xAA);
        Assert.Equal(0x1Du, Status); // OBF | SYS | CMD | unlocked
        Assert.Equal([0x55], Drain());
    }

    [Fact]
    public void Interface_tests_answer_zero()
    {
        _bus.Out(0x64, 1, 0xAB);
        Assert.Equal([0x00], Drain());
        _bus.Out(0x64, 1, 0xA9);
        Assert.Equal([0x00], Drain());
    }

    [Fact]
    public void Command_byte_reads_and_writes_through_20h_and_60h()
    {
        _bus.Out(0x64, 1, 0x20);
        Assert.Equal([0x03], Drain()); // QEMU's reset value: both interrupts enabled
        _bus.Out(0x64, 1, 0x60);
        _bus.Out(0x60, 1, 0x65);
        Assert.Equal(0x65, _kbc.CommandByte);
        _bus.Out(0x64, 1, 0xAD); // disable keyboard
        _bus.Out(0x64, 1, 0xA7); // disable aux
        _bus.Out(0x64, 1, 0x20);
        Assert.Equal([0x75], Drain());
    }

    [Fact]
    public void Keyboard_identifies_with_irq1_per_byte()
    {
        _bus.Out(0x60, 1, 0xF2);
        Assert.Equal([(1, true)], _irqs);
        Assert.Equal(0xFAu, _bus.In(0x60, 1));
        Assert.Equal([(1, true), (1, false), (1, true)], _irqs); // the next byte is a new edge
        Assert.Equal([0xAB, 0x83], Drain());
        Assert.Equal((1, false), _irqs[^1]);
    }

    [Fact]
    public void Translation_turns_the_ids_83h_into_41h()
    {
        _bus.Out(0x64, 1, 0x60);
        _bus.Out(0x60, 1, 0x43); // XLATE | SYS | KBD INT
        _bus.Out(0x60, 1, 0xF2);
        Assert.Equal([0xFA, 0xAB, 0x41], Drain());
    }

    [Fact]
    public void Keyboard_reset_and_unknown_commands()
    {
        _bus.Out(0x60, 1, 0xFF);
        Assert.Equal([0xFA, 0xAA], Drain());
        _bus.Out(0x60, 1, 0xED);
        _bus.Out(0x60, 1, 0x07);
        Assert.Equal([0xFA, 0xFA], Drain());
        _bus.Out(0x60, 1, 0x12);
        Assert.Equal([0xFE], Drain());
        _bus.Out(0x60, 1, 0xEE);
        Assert.Equal([0xEE], Drain());
    }

    [Fact]
    public void Aux_loopback_echoes_with_the_aux_status_and_the_absent_mouse_times_out()
    {
        _bus.Out(0x64, 1, 0xD3);
        _bus.Out(0x60, 1, 0x5A);
        Assert.Equal(0x31u, Status & 0x3F); // OBF | AUX | unlocked (the last write was data)
        Assert.Contains((12, true), _irqs);
        Assert.Equal([0x5A], Drain());
        _bus.Out(0x64, 1, 0xD4);
        _bus.Out(0x60, 1, 0xF2);
        Assert.Equal(0x61u, Status & 0x61); // OBF | AUX | TIMEOUT
        Assert.Equal([0xFE], Drain());
    }

    [Fact]
    public void Pulsing_the_reset_line_with_FEh_resets_and_other_pulses_do_not()
    {
        int resets = 0;
        _kbc.ResetRequested += () => resets++;
        _bus.Out(0x64, 1, 0xFF);
        Assert.Equal(0, resets);
        _bus.Out(0x64, 1, 0xFE);
        Assert.Equal(1, resets);
    }

    [Fact]
    public void Output_port_drives_a20_and_the_reset_line()
    {
        var a20 = new List<bool>();
        int resets = 0;
        _kbc.A20Changed += a20.Add;
        _kbc.ResetRequested += () => resets++;
        _bus.Out(0x64, 1, 0xD0);
        Assert.Equal([0xCF], Drain()); // A20 on, reset line high
        _bus.Out(0x64, 1, 0xD1);
        _bus.Out(0x60, 1, 0xCD);     // A20 off
        Assert.Equal([false], a20);
        Assert.False(_kbc.A20);
        _bus.Out(0x64, 1, 0xD1);
        _bus.Out(0x60, 1, 0xCE);     // bit 0 low: reset
        Assert.Equal(1, resets);
        Assert.Equal([false, true], a20);
    }

    [Fact]
    public void Port_92h_gates_a20_and_resets_on_a_rising_fast_init()
    {
        var a20 = new List<bool>();
        int resets = 0;
        _portA.A20Changed += a20.Add;
        _portA.ResetRequested += () => resets++;
        Assert.Equal(0u, _bus.In(0x92, 1));
        _bus.Out(0x92, 1, 0x02);
        Assert.Equal(0x02u, _bus.In(0x92, 1));
        Assert.Equal([true], a20);
        Assert.Equal(0, resets);
        _bus.Out(0x92, 1, 0x03);
        _bus.Out(0x92, 1, 0x03);
        Assert.Equal(1, resets);
    }
}
