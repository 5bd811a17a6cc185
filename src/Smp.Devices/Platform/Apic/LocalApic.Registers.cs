using Smp.Devices.Cpu;
using Smp.Devices.Platform.Actors;

namespace Smp.Devices.Platform.Apic;

// Register access: the xAPIC page (SDM Vol. 3A Table 10-1; fact sheet D7) and the x2APIC MSRs
// 0x800 + offset / 16 (Table 10-6; fact sheet D8).
public sealed partial class LocalApic
{
    /// <inheritdoc />
    public ulong Read(ulong address, int size)
    {
        uint offset = (uint)(address & 0xFFF);
        uint value = ReadRegister(offset & 0xFF0);
        int shift = (int)(offset & 0xF) * 8;
        return shift >= 32 ? 0 : (ulong)(value >> shift) & (size >= 4 ? 0xFFFF_FFFFUL : (1UL << (size * 8)) - 1);
    }

    /// <inheritdoc />
    public void Write(ulong address, int size, ulong value)
    {
        uint offset = (uint)(address & 0xFFF);
        if ((offset & 0xF) != 0) return; // registers are 32-bit at 16-byte boundaries
        WriteRegister(offset, (uint)value);
    }

    /// <summary>Reads the 32-bit register at xAPIC page <paramref name="offset"/> (a multiple of 16).</summary>
    /// <param name="offset">The register's offset in the APIC page.</param>
    /// <returns>Its value (0 for reserved offsets).</returns>
    public uint ReadRegister(uint offset)
    {
        switch (offset)
        {
            case 0x20: return _x2 ? _id : _id << 24;
            case 0x30: return VersionValue;
            case 0x80: return _tpr;
            case 0x90: return 0; // APR: arbitration priority is not modelled (P6 family and later)
            case 0xA0: return Ppr;
            case 0xD0: return _ldr;
            case 0xE0: return _x2 ? 0 : _dfr;
            case 0xF0: return _svr;
            case >= 0x100 and <= 0x170: return Chunk(_isr, offset - 0x100);
            case >= 0x180 and <= 0x1F0: return Chunk(_tmr, offset - 0x180);
            case >= 0x200 and <= 0x270: return Chunk(_irr, offset - 0x200);
            case 0x280: return _esr;
            case 0x2F0: return _lvt[LvtCmci];
            case 0x300: return _icrLow;
            case 0x310: return _icrHigh;
            case >= 0x320 and <= 0x370: return _lvt[LvtTimer + (int)((offset - 0x320) >> 4)];
            case 0x380: return _initialCount;
            case 0x390: return CurrentCount;
            case 0x3E0: return _divideConfig;
            default: return 0;
        }
    }

    /// <summary>Writes the 32-bit register at xAPIC page <paramref name="offset"/> (read-only and reserved registers ignore it).</summary>
    /// <param name="offset">The register's offset in the APIC page.</param>
    /// <param name="value">The value.</param>
    public void WriteRegister(uint offset, uint value)
    {
        switch (offset)
        {
            case 0x20 when !_x2:
                _id = value >> 24;
                RoutingChanged?.Invoke();
                break;
            case 0x80:
                _tpr = value & 0xFF;
                RoutingChanged?.Invoke();
                Core?.NotifyInterruptPending();
                break;
            case 0xB0: Eoi(); break;
            case 0xD0 when !_x2:
                _ldr = value & 0xFF00_0000;
                RoutingChanged?.Invoke();
                break;
            case 0xE0 when !_x2:
                _dfr = value | 0x0FFF_FFFF; // only the model bits 31:28 are writable
                RoutingChanged?.Invoke();
                break;
            case 0xF0: WriteSvr(value); break;
            case 0x280:
                // Writing the ESR latches the errors found since the last write (SDM Vol. 3A §10.5.3).
                _esr = _esrPending;
                _esrPending = 0;
                break;
            case 0x2F0: WriteLvt(LvtCmci, value, 0x107FF); break;
            case 0x300:
                _icrLow = value & ~(1u << 12); // delivery status reads idle: the bus accepted the message at once
                SendIpi(((ulong)_icrHigh << 32) | _icrLow);
                break;
            case 0x310: _icrHigh = value & 0xFF00_0000; break;
            case 0x320: WriteLvt(LvtTimer, value, 0x700FF); TimerModeChanged(); break;
            case 0x330: WriteLvt(LvtThermal, value, 0x107FF); break;
            case 0x340: WriteLvt(LvtPerf, value, 0x107FF); break;
            case 0x350: WriteLvt(LvtLint0, value, 0x1A7FF); break;
            case 0x360: WriteLvt(LvtLint1, value, 0x1A7FF); break;
            case 0x370: WriteLvt(LvtError, value, 0x100FF); break;
            case 0x380: WriteInitialCount(value); break;
            case 0x3E0: WriteDivide(value); break;
            default: break;
        }
    }

    private void WriteLvt(int index, uint value, uint writable)
    {
        value &= writable;
        // While the APIC is software-disabled the mask bits cannot be cleared (SDM Vol. 3A §10.4.7.2).
        if (!SoftwareEnabled) value |= LvtMasked;
        _lvt[index] = value;
        Core?.NotifyInterruptPending();
    }

    private void WriteSvr(uint value)
    {
        bool wasEnabled = SoftwareEnabled;
        _svr = value & 0x11FF;
        if (wasEnabled && !SoftwareEnabled)
        {
            // Software disable sets every LVT mask bit (SDM Vol. 3A §10.4.7.2).
            for (int i = 0; i < _lvt.Length; i++) _lvt[i] |= LvtMasked;
        }

        RoutingChanged?.Invoke();
        Core?.NotifyInterruptPending();
    }

    // ICR layout: SDM Vol. 3A Figure 10-12 / fact sheet D6.
    private void SendIpi(ulong icr)
    {
        int vector = (int)(icr & 0xFF);
        var mode = (DeliveryMode)((icr >> 8) & 7);
        bool logical = (icr & (1UL << 11)) != 0, assert = (icr & (1UL << 14)) != 0, level = (icr & (1UL << 15)) != 0;
        var shorthand = (DestinationShorthand)((icr >> 18) & 3);
        uint destination = _x2 ? (uint)(icr >> 32) : (uint)(icr >> 56);
        if (mode is (DeliveryMode)3 or DeliveryMode.ExtInt) return; // reserved for IPIs
        if (mode is DeliveryMode.Fixed or DeliveryMode.LowestPriority && vector < 16)
        {
            RaiseError(EsrSendIllegalVector);
            return;
        }

        // An interrupt this APIC sends itself is accepted at once instead of crossing the bus: it is
        // recognized at the next instruction boundary after the ICR write, as on hardware, where a guest
        // relies on a self-NMI or self-IPI arriving before it goes on (SDM Vol. 3A §10.6.1; kvm-unit-tests
        // eventinj). INIT, SIPI and SMI, logical and broadcast destinations still go over the bus.
        if (mode is DeliveryMode.Fixed or DeliveryMode.LowestPriority or DeliveryMode.Nmi
            && (shorthand is DestinationShorthand.Self or DestinationShorthand.AllIncludingSelf
                || (shorthand == DestinationShorthand.None && !logical && destination == _id)))
        {
            if (mode == DeliveryMode.Nmi) NmiRequested?.Invoke();
            else AcceptInterrupt(vector, level);
            SelfIpiAccepted?.Invoke(mode, vector);
            if (shorthand != DestinationShorthand.AllIncludingSelf) return;
            shorthand = DestinationShorthand.AllExcludingSelf;
        }

        IpiSent?.Invoke(new Ipi((int)_id, new ApicDestination(shorthand, logical, destination), mode, vector, level, assert));
    }

    /// <inheritdoc />
    public bool TryReadX2ApicMsr(uint msr, out ulong value)
    {
        value = 0;
        uint offset = (msr - 0x800) << 4;
        switch (offset)
        {
            case 0x300: value = ((ulong)_icrHigh << 32) | _icrLow; return true;
            case 0xB0 or 0xE0 or 0x310 or 0x3F0: return false; // EOI and SELF IPI are write-only; DFR and ICR2 do not exist
            case 0x20 or 0x30 or 0x80 or 0xA0 or 0xD0 or 0xF0 or 0x280 or 0x2F0 or 0x380 or 0x390 or 0x3E0:
            case >= 0x100 and <= 0x270:
            case >= 0x320 and <= 0x370:
                value = ReadRegister(offset);
                return true;
            default: return false;
        }
    }

    /// <inheritdoc />
    public bool TryWriteX2ApicMsr(uint msr, ulong value)
    {
        uint offset = (msr - 0x800) << 4;
        switch (offset)
        {
            case 0xB0 or 0x280:
                if (value != 0) return false; // non-zero EOI or ESR writes #GP (SDM Vol. 3A §10.12.1.2)
                WriteRegister(offset, 0);
                return true;
            case 0x300:
                _icrHigh = (uint)(value >> 32);
                _icrLow = (uint)value & ~(1u << 12);
                SendIpi(value & ~(1UL << 12));
                return true;
            case 0x3F0:
                // SELF IPI: a fixed, edge-triggered IPI to this APIC (SDM Vol. 3A §10.12.11).
                if ((value & ~0xFFUL) != 0) return false;
                SendIpi((value & 0xFF) | (1UL << 18));
                return true;
            case 0x80 or 0xF0 or 0x2F0 or 0x380 or 0x3E0:
            case >= 0x320 and <= 0x370:
                if ((value >> 32) != 0) return false;
                WriteRegister(offset, (uint)value);
                return true;
            default: return false; // read-only or nonexistent
        }
    }

    /// <inheritdoc />
    public ulong Cr8
    {
        get => (_tpr >> 4) & 0xF;
        set
        {
            _tpr = (uint)(value & 0xF) << 4;
            RoutingChanged?.Invoke();
            Core?.NotifyInterruptPending();
        }
    }

    /// <inheritdoc />
    public void ApicBaseChanged(ulong apicBase)
    {
        bool en = (apicBase & Msr.ApicBaseEnable) != 0, extd = (apicBase & Msr.ApicBaseExtd) != 0;
        if (!en)
        {
            // Hardware disable: the APIC loses its state; re-enabling finds power-up values (SDM Vol. 3A §10.4.3).
            _hwEnabled = false;
            _x2 = false;
            PowerUpState();
        }
        else
        {
            _hwEnabled = true;
            if (extd && !_x2)
            {
                // Entering x2APIC mode: the x2APIC ID is the initial APIC ID and the LDR is derived from it (§10.12.10).
                _x2 = true;
                _id = _initialId;
                _ldr = X2ApicLdr(_id);
            }
        }

        RoutingChanged?.Invoke();
        Core?.NotifyInterruptPending();
    }

    private static uint Chunk(ulong[] bits, uint offset)
    {
        int index = (int)(offset >> 4); // 32-bit chunk 0..7
        return (uint)(bits[index >> 1] >> ((index & 1) * 32));
    }
}
