namespace Smp.Devices.Platform;

/// <summary>
/// The PC/AT's cascaded 8259A pair: master at 0x20/0x21 (vectors for IRQ0–7), slave at 0xA0/0xA1 (IRQ8–15)
/// on master input 2, plus the ELCR edge/level control registers at 0x4D0/0x4D1. Its output is the INTR line
/// to the BSP's LINT0 (ExtINT); the CPU fetches the vector with <see cref="Acknowledge"/>.
/// </summary>
public sealed class Pic8259Pair : IPortDevice
{
    /// <summary>The master's command port.</summary>
    public const ushort MasterCommand = 0x20;

    /// <summary>The slave's command port.</summary>
    public const ushort SlaveCommand = 0xA0;

    /// <summary>The ELCR port for IRQ0–7 (IRQ8–15 at the next port).</summary>
    public const ushort ElcrPort = 0x4D0;

    private const int CascadeIrq = 2;

    // IRQ0, 1, 2, 8 and 13 are always edge-triggered on a PIIX (QEMU's ELCR masks 0xF8 / 0xDE).
    private readonly Pic8259 _master;
    private readonly Pic8259 _slave;

    /// <summary>Creates the pair; both chips wait for initialisation, all inputs unmasked, vectors 0.</summary>
    public Pic8259Pair(DeviceLog? log = null)
    {
        _master = new Pic8259("pic-master", log);
        _slave = new Pic8259("pic-slave", log);
        _log = log;
    }

    private readonly DeviceLog? _log;

    /// <summary>True while the master asserts INTR: an unmasked request outranks everything in service.</summary>
    public bool HasInterrupt { get; private set; }

    /// <summary>Raised when <see cref="HasInterrupt"/> changes, with the new INTR level.</summary>
    public event Action<bool>? InterruptChanged;

    /// <summary>The master's interrupt request register.</summary>
    public byte MasterIrr => _master.Irr;

    /// <summary>The master's in-service register.</summary>
    public byte MasterIsr => _master.Isr;

    /// <summary>The master's interrupt mask register.</summary>
    public byte MasterImr => _master.Imr;

    /// <summary>The slave's interrupt request register.</summary>
    public byte SlaveIrr => _slave.Irr;

    /// <summary>The slave's in-service register.</summary>
    public byte SlaveIsr => _slave.Isr;

    /// <summary>The slave's interrupt mask register.</summary>
    public byte SlaveImr => _slave.Imr;

    /// <summary>The vector base programmed by ICW2 into the master (IRQ0's vector).</summary>
    public byte MasterVectorBase => _master.VectorBase;

    /// <summary>The vector base programmed by ICW2 into the slave (IRQ8's vector).</summary>
    public byte SlaveVectorBase => _slave.VectorBase;

    /// <summary>Claims 0x20–0x21, 0xA0–0xA1 and 0x4D0–0x4D1 on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus)
    {
        bus.Register(MasterCommand, 2, this);
        bus.Register(SlaveCommand, 2, this);
        bus.Register(ElcrPort, 2, this);
    }

    /// <summary>Asserts ISA interrupt line <paramref name="irq"/> (0–15); an edge-triggered input latches on the rising edge.</summary>
    public void RaiseIrq(int irq) => SetIrq(irq, true);

    /// <summary>Deasserts ISA interrupt line <paramref name="irq"/> (0–15).</summary>
    public void LowerIrq(int irq) => SetIrq(irq, false);

    /// <summary>Drives ISA interrupt line <paramref name="irq"/> (0–15) to <paramref name="level"/>.</summary>
    public void SetIrq(int irq, bool level)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)irq, 15u, nameof(irq));
        if (irq < 8) _master.SetLine(irq, level); else _slave.SetLine(irq - 8, level);
        Update();
    }

    /// <summary>
    /// The two INTA cycles: returns the vector of the highest-priority pending IRQ and moves it to service.
    /// With nothing pending (the request went away), the master answers IRQ7's vector — or the slave
    /// IRQ15's — without setting an ISR bit: the 8259A's spurious interrupt.
    /// </summary>
    public byte Acknowledge()
    {
        int irq = _master.PendingIrq(CascadeIrq);
        byte vector;
        if (irq < 0) vector = (byte)(_master.VectorBase + 7); // spurious IRQ7
        else
        {
            _master.Acknowledge(irq);
            if (irq == CascadeIrq)
            {
                int slaveIrq = _slave.PendingIrq(-1);
                if (slaveIrq < 0) vector = (byte)(_slave.VectorBase + 7); // spurious IRQ15 (master IR2 stays in service)
                else { _slave.Acknowledge(slaveIrq); vector = (byte)(_slave.VectorBase + slaveIrq); }
            }
            else vector = (byte)(_master.VectorBase + irq);
        }
        Update();
        return vector;
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        byte value = port switch
        {
            MasterCommand => _master.ReadCommand(CascadeIrq, PollMaster),
            MasterCommand + 1 => _master.ReadData(CascadeIrq, PollMaster),
            SlaveCommand => _slave.ReadCommand(-1, null),
            SlaveCommand + 1 => _slave.ReadData(-1, null),
            ElcrPort => _master.Elcr,
            _ => _slave.Elcr,
        };
        Update();
        return value;
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        byte v = (byte)value;
        switch (port)
        {
            case MasterCommand: _master.WriteCommand(v); break;
            case MasterCommand + 1: _master.WriteData(v); break;
            case SlaveCommand: _slave.WriteCommand(v); break;
            case SlaveCommand + 1: _slave.WriteData(v); break;
            case ElcrPort: SetElcr(_master, v, 0xF8); break;
            default: SetElcr(_slave, v, 0xDE); break;
        }
        Update();
    }

    private void SetElcr(Pic8259 chip, byte value, byte writable)
    {
        if ((value & ~writable) != 0) _log?.Unmodelled(chip.Name, $"ELCR bits 0x{value & ~writable:X2} (IRQ0/1/2/8/13 are always edge)");
        chip.Elcr = (byte)(value & writable);
    }

    // A poll of the master that lands on the cascade input also takes the slave's request.
    private int PollMaster(int irq)
    {
        _master.Acknowledge(irq);
        if (irq == CascadeIrq && _slave.PendingIrq(-1) is var s and >= 0) _slave.Acknowledge(s);
        return irq;
    }

    private void Update()
    {
        // The slave's INT output drives master IR2 as a level.
        _master.SetLine(CascadeIrq, _slave.PendingIrq(-1) >= 0);
        bool intr = _master.PendingIrq(CascadeIrq) >= 0;
        if (intr == HasInterrupt) return;
        HasInterrupt = intr;
        InterruptChanged?.Invoke(intr);
    }
}
