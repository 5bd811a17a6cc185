namespace Smp.Devices.Platform;

/// <summary>
/// The PC/AT coprocessor-error logic for x87 exceptions in MS-DOS compatibility mode (CR0.NE = 0; SDM Vol. 1
/// Appendix D.2.1.3 and D.3): the processor's FERR# output sets a latch that drives ISA IRQ 13; a write of any value to
/// port F0h clears the latch and, while FERR# is still asserted, asserts the processor's IGNNE# input so the handler's
/// own x87 instructions run. IGNNE# goes away with FERR# (the core drops it when the exception flags are cleared).
/// </summary>
public sealed class CoprocessorError : IPortDevice
{
    /// <summary>The port whose write clears the IRQ 13 latch.</summary>
    public const ushort Port = 0xF0;

    /// <summary>The ISA interrupt line.</summary>
    public const int Irq = 13;

    private bool _ferr;

    /// <summary>Whether the IRQ 13 latch is set.</summary>
    public bool Latched { get; private set; }

    /// <summary>Raised with the new IRQ 13 level.</summary>
    public event Action<bool>? IrqChanged;

    /// <summary>Raised with true when a port F0h write asserts IGNNE# (FERR# still active).</summary>
    public event Action<bool>? IgnneChanged;

    /// <summary>Claims port F0h on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(Port, 1, this);

    /// <summary>The processor's FERR# output changed: a rising edge sets the latch (IRQ 13).</summary>
    public void SetFerr(bool level)
    {
        bool rising = level && !_ferr;
        _ferr = level;
        if (rising && !Latched)
        {
            Latched = true;
            IrqChanged?.Invoke(true);
        }
    }

    /// <inheritdoc />
    public uint In(ushort port, int size) => 0xFF;

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        if (Latched)
        {
            Latched = false;
            IrqChanged?.Invoke(false);
        }
        if (_ferr) IgnneChanged?.Invoke(true);
    }
}
