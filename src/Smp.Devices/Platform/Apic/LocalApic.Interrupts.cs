using Smp.Devices.Cpu;

namespace Smp.Devices.Platform.Apic;

// Acceptance and delivery of maskable interrupts: IRR → ISR by priority class (SDM Vol. 3A §10.8.3),
// EOI (§10.8.5), and ExtINT from the PIC through LINT0 (virtual-wire mode).
public sealed partial class LocalApic
{
    /// <inheritdoc />
    public bool HasPendingInterrupt
    {
        get
        {
            if (ExtIntPending) return true;
            if (!_hwEnabled || !SoftwareEnabled) return false;
            int v = Highest(_irr);
            // Deliverable only when its priority class is above the PPR's (SDM Vol. 3A §10.8.3.1).
            return v >= 0 && (v & 0xF0) > (Ppr & 0xF0);
        }
    }

    /// <inheritdoc />
    public int AcknowledgeInterrupt()
    {
        if (ExtIntPending) return ExtIntSource!.Acknowledge();
        int v = Highest(_irr);
        if (v < 0 || (v & 0xF0) <= (Ppr & 0xF0)) return (int)(_svr & 0xFF); // spurious (§10.9)
        SetBit(_irr, v, false);
        SetBit(_isr, v, true);
        return v;
    }

    /// <summary>End of interrupt: clears the highest ISR bit; a level-triggered vector is broadcast to the I/O APIC.</summary>
    public void Eoi()
    {
        int v = Highest(_isr);
        if (v < 0) return;
        SetBit(_isr, v, false);
        if (Bit(_tmr, v)) LevelEoi?.Invoke(v);
        Core?.NotifyInterruptPending();
    }

    // The PIC's INTR reaches the CPU through LINT0 in ExtINT mode, or directly while the APIC is
    // hardware-disabled (the processor then behaves as one without an APIC: SDM Vol. 3A §10.4.3).
    private bool ExtIntPending
    {
        get
        {
            if (ExtIntSource is not { HasInterrupt: true }) return false;
            if (!_hwEnabled) return true;
            uint lvt = _lvt[LvtLint0];
            return (lvt & LvtMasked) == 0 && ((lvt >> 8) & 7) == (uint)DeliveryMode.ExtInt;
        }
    }
}
