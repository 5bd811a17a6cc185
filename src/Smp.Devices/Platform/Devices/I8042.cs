namespace Smp.Devices.Platform;

/// <summary>
/// The 8042 keyboard controller of a PS/2-compatible PC at 0x60 (data) and 0x64 (status/command), with a
/// <see cref="Ps2Keyboard"/> on its keyboard port and nothing on its auxiliary (mouse) port. Follows the IBM PS/2
/// Technical Reference's controller commands: 20h/60h read/write the command byte, AAh self-test (55h), ABh/A9h
/// interface tests (00h), ADh/AEh and A7h/A8h disable/enable the ports, D0h/D1h read/write the output port (bit 0
/// the CPU reset line, bit 1 the A20 gate), D2h/D3h/D4h write to the keyboard buffer, the aux buffer or the aux
/// device, and F0h–FFh pulse output port bits 3:0 low — FEh pulses the reset line, which resets the machine.
/// </summary>
/// <remarks>
/// Output bytes become readable at once (no 1 ms serial transfer) and queue behind one another; the keyboard's
/// bytes wait while its port is disabled. IRQ1 (keyboard) and IRQ12 (aux) are the output-buffer-full lines gated
/// by command-byte bits 0 and 1; a second queued byte re-raises the line after the first is read, so each byte is
/// an edge. Writes to the absent mouse end with FEh and the time-out status bit, as PS/2 controllers report a
/// device that never clocks. The reset values are QEMU's: command byte 03h, output port CFh (A20 on, reset high).
/// With the command byte's XLATE bit, keyboard bytes pass through the set 2 → set 1 translation; with no key input,
/// only command answers cross it, and of those only 83h (the ID's second byte, translated to 41h) changes.
/// </remarks>
public sealed class I8042 : IPortDevice
{
    /// <summary>The data port.</summary>
    public const ushort DataPort = 0x60;

    /// <summary>The status (read) and command (write) port.</summary>
    public const ushort CommandPort = 0x64;

    /// <summary>The keyboard's ISA IRQ.</summary>
    public const int KeyboardIrq = 1;

    /// <summary>The auxiliary (mouse) port's ISA IRQ.</summary>
    public const int AuxIrq = 12;

    // Status register bits.
    private const byte StOutputFull = 0x01, StSystem = 0x04, StCommand = 0x08, StUnlocked = 0x10, StAuxData = 0x20, StTimeout = 0x40;

    // Command byte bits.
    private const byte CbKbdInt = 0x01, CbAuxInt = 0x02, CbSystem = 0x04, CbKbdDisabled = 0x10, CbAuxDisabled = 0x20, CbTranslate = 0x40;

    // Output port bits.
    private const byte OpReset = 0x01, OpA20 = 0x02;

    private const string Name = "i8042";

    private readonly Ps2Keyboard _keyboard = new();
    private readonly Queue<(byte Value, bool Aux, bool Timeout)> _output = new();
    private readonly Queue<byte> _keyboardPending = new();
    private readonly DeviceLog? _log;
    private byte _commandByte = CbKbdInt | CbAuxInt, _outputPort = 0xCF, _status = StUnlocked, _pendingCommand;
    private bool _irq1, _irq12;

    /// <summary>Creates the controller with its keyboard attached.</summary>
    public I8042(DeviceLog? log = null) => _log = log;

    /// <summary>The controller's command byte.</summary>
    public byte CommandByte => _commandByte;

    /// <summary>The output port (bit 0 reset, active low; bit 1 A20 gate).</summary>
    public byte OutputPort => _outputPort;

    /// <summary>True while the output port's A20 gate bit is set.</summary>
    public bool A20 => (_outputPort & OpA20) != 0;

    /// <summary>Raised when the controller drives the CPU reset line (command FEh, or the output port's bit 0 cleared).</summary>
    public event Action? ResetRequested;

    /// <summary>Raised when the output port's A20 gate bit changes, with its new state.</summary>
    public event Action<bool>? A20Changed;

    /// <summary>Raised when IRQ1 or IRQ12 changes: (ISA IRQ, level).</summary>
    public event Action<int, bool>? IrqChanged;

    /// <summary>Claims 0x60 and 0x64 on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus)
    {
        bus.Register(DataPort, 1, this);
        bus.Register(CommandPort, 1, this);
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        if (port == CommandPort) return Status();
        if (_output.Count == 0) return _lastRead; // reading an empty buffer returns the last byte again
        var (value, _, _) = _output.Dequeue();
        _lastRead = value;
        Refill();
        // The line falls when the byte is taken; a queued byte raises it again: one edge per byte.
        SetIrqs(false, false);
        UpdateIrqs();
        return value;
    }

    private byte _lastRead;

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        byte b = (byte)value;
        if (port == CommandPort)
        {
            _status |= StCommand;
            Command(b);
        }
        else
        {
            _status &= unchecked((byte)~StCommand);
            Data(b);
        }

        UpdateIrqs();
    }

    private byte Status()
    {
        byte s = (byte)(_status | ((_commandByte & CbSystem) != 0 ? StSystem : 0));
        if (_output.Count > 0)
        {
            var (_, aux, timeout) = _output.Peek();
            s |= (byte)(StOutputFull | (aux ? StAuxData : 0) | (timeout ? StTimeout : 0));
        }

        return s;
    }

    private void Command(byte c)
    {
        _pendingCommand = 0;
        switch (c)
        {
            case 0x20: Queue(_commandByte); break;
            case >= 0x21 and <= 0x3F: Queue(0); break; // internal RAM bytes 1–31
            case 0x60 or 0xD1 or 0xD2 or 0xD3 or 0xD4: _pendingCommand = c; break;
            case >= 0x61 and <= 0x7F: _pendingCommand = c; break;
            case 0xA7: _commandByte |= CbAuxDisabled; break;
            case 0xA8: _commandByte &= unchecked((byte)~CbAuxDisabled); break;
            case 0xA9: Queue(0x00); break; // aux interface test: no error
            case 0xAA:
                _commandByte |= CbSystem; // a passed self-test sets the system flag
                Queue(0x55);
                break;
            case 0xAB: Queue(0x00); break; // keyboard interface test: no error
            case 0xAD: _commandByte |= CbKbdDisabled; break;
            case 0xAE:
                _commandByte &= unchecked((byte)~CbKbdDisabled);
                Refill();
                break;
            case 0xC0: Queue(0x00); break; // input port
            case 0xD0: Queue(_outputPort); break;
            case 0xDD: SetOutputPort((byte)(_outputPort & ~OpA20)); break;
            case 0xDF: SetOutputPort((byte)(_outputPort | OpA20)); break;
            case 0xE0: Queue(0x00); break; // test inputs
            case >= 0xF0:
                // Pulse output port bits 3:0 low for about 6 µs where the command's bit is 0; bit 0 is the reset line.
                if ((c & OpReset) == 0) ResetRequested?.Invoke();
                break;
            default:
                _log?.Unmodelled(Name, $"controller command 0x{c:X2}");
                break;
        }
    }

    private void Data(byte b)
    {
        byte pending = _pendingCommand;
        _pendingCommand = 0;
        switch (pending)
        {
            case 0x60:
                _commandByte = b;
                Refill();
                return;
            case >= 0x61 and <= 0x7F:
                return; // internal RAM bytes 1–31: unused by the controller's firmware
            case 0xD1:
                SetOutputPort(b);
                return;
            case 0xD2:
                Queue(b);
                return;
            case 0xD3:
                Queue(b, aux: true); // aux loopback
                return;
            case 0xD4:
                Queue(0xFE, aux: true, timeout: true); // no device on the aux port
                return;
        }

        // A byte for the keyboard: writing to it also enables its port, as the controller's firmware does.
        _commandByte &= unchecked((byte)~CbKbdDisabled);
        foreach (byte answer in _keyboard.Receive(b)) _keyboardPending.Enqueue(Translate(answer));
        Refill();
    }

    private void SetOutputPort(byte value)
    {
        bool a20Was = A20;
        _outputPort = (byte)(value | 0x0C); // bits 3:2 are unused and read 1 on QEMU
        if (A20 != a20Was) A20Changed?.Invoke(A20);
        if ((value & OpReset) == 0) ResetRequested?.Invoke();
    }

    private byte Translate(byte b) => (_commandByte & CbTranslate) == 0 ? b : b switch { 0x83 => (byte)0x41, 0x84 => (byte)0x54, _ => b };

    private void Queue(byte value, bool aux = false, bool timeout = false) => _output.Enqueue((value, aux, timeout));

    // Keyboard bytes move into the output buffer while the keyboard port is enabled and the buffer is empty.
    private void Refill()
    {
        if (_output.Count == 0 && (_commandByte & CbKbdDisabled) == 0 && _keyboardPending.Count > 0) Queue(_keyboardPending.Dequeue());
    }

    private void UpdateIrqs()
    {
        bool full = _output.Count > 0;
        bool aux = full && _output.Peek().Aux;
        SetIrqs(full && !aux && (_commandByte & CbKbdInt) != 0, full && aux && (_commandByte & CbAuxInt) != 0);
    }

    private void SetIrqs(bool irq1, bool irq12)
    {
        if (irq1 != _irq1) { _irq1 = irq1; IrqChanged?.Invoke(KeyboardIrq, irq1); }
        if (irq12 != _irq12) { _irq12 = irq12; IrqChanged?.Invoke(AuxIrq, irq12); }
    }
}
