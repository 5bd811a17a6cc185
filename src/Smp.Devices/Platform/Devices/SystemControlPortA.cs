namespace Smp.Devices.Platform;

/// <summary>
/// Port 92h, the PIIX3's Port 92 register ("fast A20 and INIT", 82371SB datasheet §4.7.3; IBM PS/2 System Control
/// Port A): bit 1 gates A20 (ORed with the keyboard controller's gate), and a 0→1 transition of bit 0 (FAST_INIT)
/// resets the processors. Both bits read back as written; the reset value is 00h.
/// </summary>
public sealed class SystemControlPortA : IPortDevice
{
    /// <summary>The port.</summary>
    public const ushort Port = 0x92;

    private const byte FastInit = 0x01, FastA20 = 0x02;

    private byte _value;

    /// <summary>True while bit 1 enables A20.</summary>
    public bool A20 => (_value & FastA20) != 0;

    /// <summary>Raised on a 0→1 transition of bit 0.</summary>
    public event Action? ResetRequested;

    /// <summary>Raised when bit 1 changes, with its new state.</summary>
    public event Action<bool>? A20Changed;

    /// <summary>Claims port 0x92 on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(Port, 1, this);

    /// <inheritdoc />
    public uint In(ushort port, int size) => _value;

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        byte old = _value;
        _value = (byte)(value & (FastInit | FastA20));
        if (((old ^ _value) & FastA20) != 0) A20Changed?.Invoke(A20);
        if ((_value & FastInit) != 0 && (old & FastInit) == 0) ResetRequested?.Invoke();
    }
}
