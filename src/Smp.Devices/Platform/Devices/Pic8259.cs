namespace Smp.Devices.Platform;

/// <summary>
/// One Intel 8259A. Priority resolution, the ICW1–ICW4 sequence and OCW2/OCW3 follow the 8259A datasheet;
/// edge-triggered inputs latch IRR on a rising edge, level-triggered ones (from the ELCR) follow the line.
/// </summary>
internal sealed class Pic8259(string name, DeviceLog? log)
{
    private const byte Icw1Ic4 = 0x01, Icw1Single = 0x02, Icw1Adi = 0x04, Icw1Ltim = 0x08;
    private const byte Icw4Upm = 0x01, Icw4Aeoi = 0x02, Icw4Buffered = 0x0C, Icw4Sfnm = 0x10;

    public byte Irr, Isr, Imr, Elcr;
    public byte VectorBase;
    private byte _lines;          // the current level of each input
    private int _priorityAdd;     // IR number with the lowest priority is (_priorityAdd + 7) & 7
    private int _initStep;        // 0 = operational; 2, 3, 4 = waiting for ICW2, ICW3, ICW4
    private bool _needIcw4, _single, _autoEoi, _rotateOnAutoEoi, _readIsr, _poll, _specialMask, _specialFullyNested;

    public string Name => name;

    /// <summary>Drives input <paramref name="irq"/> (0–7) to <paramref name="level"/>.</summary>
    public void SetLine(int irq, bool level)
    {
        byte bit = (byte)(1 << irq);
        if ((Elcr & bit) != 0)
        {
            if (level) { Irr |= bit; _lines |= bit; } else { Irr &= (byte)~bit; _lines &= (byte)~bit; }
            return;
        }
        if (level)
        {
            if ((_lines & bit) == 0) Irr |= bit; // rising edge
            _lines |= bit;
        }
        else _lines &= (byte)~bit;
    }

    /// <summary>The highest-priority requested, unmasked IR that beats everything in service, or −1.</summary>
    public int PendingIrq(int cascadeIrq)
    {
        int request = Priority((byte)(Irr & ~Imr));
        if (request == 8) return -1;
        byte inService = Isr;
        if (_specialMask) inService &= (byte)~Imr;
        // Special fully nested mode (master): a request from the slave may interrupt the slave's own service.
        if (_specialFullyNested && cascadeIrq >= 0) inService &= (byte)~(1 << cascadeIrq);
        int current = Priority(inService);
        return request < current ? (request + _priorityAdd) & 7 : -1;
    }

    /// <summary>The INTA cycle for <paramref name="irq"/>: IRR → ISR (unless AEOI), edge requests cleared.</summary>
    public void Acknowledge(int irq)
    {
        byte bit = (byte)(1 << irq);
        if (_autoEoi) { if (_rotateOnAutoEoi) _priorityAdd = (irq + 1) & 7; }
        else Isr |= bit;
        if ((Elcr & bit) == 0) Irr &= (byte)~bit;
    }

    public void WriteCommand(byte value)
    {
        if ((value & 0x10) != 0) { Icw1(value); return; }
        if ((value & 0x08) != 0) { Ocw3(value); return; }
        Ocw2(value);
    }

    public byte ReadCommand(int cascadeIrq, Func<int, int>? acknowledge)
    {
        if (_poll) return Poll(cascadeIrq, acknowledge);
        return _readIsr ? Isr : Irr;
    }

    public void WriteData(byte value)
    {
        switch (_initStep)
        {
            case 2:
                VectorBase = (byte)(value & 0xF8);
                _initStep = _single ? (_needIcw4 ? 4 : 0) : 3;
                break;
            case 3:
                _initStep = _needIcw4 ? 4 : 0; // the cascade wiring is fixed on a PC: slave on master IR2
                break;
            case 4:
                if ((value & Icw4Upm) == 0) log?.Unmodelled(name, "ICW4 MCS-80/85 mode (8086 mode assumed)");
                if ((value & Icw4Buffered) != 0) log?.Unmodelled(name, "ICW4 buffered mode");
                _autoEoi = (value & Icw4Aeoi) != 0;
                _specialFullyNested = (value & Icw4Sfnm) != 0;
                _initStep = 0;
                break;
            default:
                Imr = value; // OCW1
                break;
        }
    }

    public byte ReadData(int cascadeIrq, Func<int, int>? acknowledge) => _poll ? Poll(cascadeIrq, acknowledge) : Imr;

    private void Icw1(byte value)
    {
        if ((value & Icw1Ltim) != 0) log?.Unmodelled(name, "ICW1 LTIM level-triggered mode (use the ELCR)");
        if ((value & Icw1Adi) != 0) log?.Unmodelled(name, "ICW1 call address interval (8080 mode only)");
        // ICW1 clears the mask, the in-service register and special mask mode, resets priority to IR0 highest
        // and selects IRR for reads; the edge sense latches are reset, so an input that is already high must go
        // low and high again before it requests (8259A datasheet, "Initialization command words").
        // Level-triggered inputs keep requesting while their line is high.
        Imr = 0; Isr = 0;
        Irr = (byte)(_lines & Elcr);
        _priorityAdd = 0;
        _readIsr = false; _poll = false; _specialMask = false;
        _autoEoi = false; _rotateOnAutoEoi = false; _specialFullyNested = false;
        _needIcw4 = (value & Icw1Ic4) != 0;
        _single = (value & Icw1Single) != 0;
        _initStep = 2;
    }

    private void Ocw2(byte value)
    {
        int level = value & 7;
        switch (value >> 5)
        {
            case 0: _rotateOnAutoEoi = false; break;
            case 4: _rotateOnAutoEoi = true; break;
            case 1: // non-specific EOI
            case 5: // rotate on non-specific EOI
            {
                int highest = Priority(Isr);
                if (highest == 8) break;
                int irq = (highest + _priorityAdd) & 7;
                Isr &= (byte)~(1 << irq);
                if (value >> 5 == 5) _priorityAdd = (irq + 1) & 7;
                break;
            }
            case 3: Isr &= (byte)~(1 << level); break; // specific EOI
            case 7: Isr &= (byte)~(1 << level); _priorityAdd = (level + 1) & 7; break; // rotate on specific EOI
            case 6: _priorityAdd = (level + 1) & 7; break; // set priority: `level` becomes the lowest
            default: break; // 2: no operation
        }
    }

    private void Ocw3(byte value)
    {
        if ((value & 0x02) != 0) _readIsr = (value & 0x01) != 0;
        _poll = (value & 0x04) != 0;
        if ((value & 0x40) != 0) _specialMask = (value & 0x20) != 0;
    }

    private byte Poll(int cascadeIrq, Func<int, int>? acknowledge)
    {
        _poll = false;
        int irq = PendingIrq(cascadeIrq);
        if (irq < 0) return 0;
        if (acknowledge is not null) acknowledge(irq); else Acknowledge(irq);
        return (byte)(0x80 | irq);
    }

    /// <summary>The priority (0 = highest) of the best request in <paramref name="mask"/>, or 8 if none.</summary>
    private int Priority(byte mask)
    {
        if (mask == 0) return 8;
        int p = 0;
        while ((mask & (1 << ((p + _priorityAdd) & 7))) == 0) p++;
        return p;
    }
}
