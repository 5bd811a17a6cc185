using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

/// <summary>
/// An 82093AA-style I/O APIC (version 0x11, 24 pins) at 0xFEC00000: IOREGSEL at +0x00 selects a register and
/// IOWIN at +0x10 reads or writes it. Registers: 0x00 ID, 0x01 version (0x00170011), 0x02 arbitration ID,
/// 0x10 + 2n / 0x11 + 2n the low/high dwords of redirection entry n. An unmasked pin's assertion becomes an
/// <see cref="IoApicInterrupt"/> through <see cref="InterruptRequested"/>; level-triggered entries hold Remote IRR
/// until <see cref="EndOfInterrupt"/>.
/// </summary>
/// <remarks>
/// 82093AA datasheet §3.2.4 (I/O redirection table): a pin's input is asserted when its line is at the level the
/// entry's polarity (bit 13) names: high for active high, low for active low. Devices drive their lines with the
/// levels they put on the wire (ISA devices: high when requesting). An edge entry (bit 15 = 0) sends one message per
/// deasserted → asserted transition while unmasked (edges while masked are lost); a level entry sends while the input
/// is asserted and Remote IRR (bit 14) is clear, sets Remote IRR, and sends again after the local APIC's EOI for its
/// vector clears it, if the input is still asserted. Version 11h has no EOI register: as Linux's __eoi_ioapic_pin
/// relies on, switching an entry to edge clears Remote IRR. Delivery status (bit 12) reads 0: messages leave at once.
/// </remarks>
public sealed class IoApic : IMmioDevice
{
    /// <summary>The conventional physical base address.</summary>
    public const ulong DefaultBase = 0xFEC00000;

    /// <summary>The size of the MMIO window.</summary>
    public const ulong WindowSize = 0x1000;

    /// <summary>The number of input pins (redirection entries).</summary>
    public const int PinCount = 24;

    /// <summary>The version register: maximum redirection entry 23 in bits 23:16, version 0x11.</summary>
    public const uint VersionValue = ((PinCount - 1) << 16) | 0x11;

    private const int RegSelOffset = 0x00, WindowOffset = 0x10;
    private const byte RegId = 0x00, RegVersion = 0x01, RegArbitration = 0x02, RegRedirFirst = 0x10, RegRedirLast = 0x3F;

    // Redirection entry bits (82093AA datasheet, "I/O redirection table registers").
    private const ulong VectorMask = 0xFF, DestModeLogical = 1UL << 11, DeliveryStatus = 1UL << 12, PolarityLow = 1UL << 13,
        RemoteIrr = 1UL << 14, TriggerLevel = 1UL << 15, Masked = 1UL << 16;
    private const ulong ReadOnlyBits = DeliveryStatus | RemoteIrr;
    private const ulong ReservedBits = 0x00FF_FFFF_FFFE_0000UL;

    private readonly ulong[] _redirection = new ulong[PinCount];
    private readonly bool[] _lines = new bool[PinCount];
    private readonly DeviceLog? _log;
    private byte _select;
    private uint _id;

    /// <summary>Creates the I/O APIC with APIC ID <paramref name="id"/> at <paramref name="baseAddress"/>, every entry masked.</summary>
    public IoApic(byte id = 0, ulong baseAddress = DefaultBase, DeviceLog? log = null)
    {
        BaseAddress = baseAddress;
        _id = (uint)(id & 0xF) << 24;
        _log = log;
        for (int i = 0; i < PinCount; i++) _redirection[i] = Masked;
    }

    /// <summary>The physical base address of the register window.</summary>
    public ulong BaseAddress { get; }

    /// <summary>The APIC ID (bits 27:24 of register 0x00).</summary>
    public byte Id => (byte)((_id >> 24) & 0xF);

    /// <summary>Raised for every interrupt message the I/O APIC sends (the APIC bus consumes these).</summary>
    public event Action<IoApicInterrupt>? InterruptRequested;

    /// <summary>The raw 64-bit redirection entry for <paramref name="pin"/>.</summary>
    public ulong RedirectionEntry(int pin) => _redirection[pin];

    /// <summary>Maps the register window into <paramref name="memory"/>.</summary>
    public void AttachTo(PhysicalMemory memory) => memory.MapMmio(BaseAddress, WindowSize, this);

    /// <summary>Asserts input pin <paramref name="gsi"/> (ISA IRQ n is GSI n, except the PIT's IRQ0, which is GSI 2).</summary>
    public void RaiseIrq(int gsi) => SetIrq(gsi, true);

    /// <summary>Deasserts input pin <paramref name="gsi"/>.</summary>
    public void LowerIrq(int gsi) => SetIrq(gsi, false);

    /// <summary>Drives the line of input pin <paramref name="gsi"/> high (true) or low; the entry's polarity decides whether that asserts it.</summary>
    public void SetIrq(int gsi, bool high)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)gsi, (uint)PinCount, nameof(gsi));
        bool was = Asserted(gsi);
        _lines[gsi] = high;
        InputChanged(gsi, was);
    }

    /// <summary>True while pin <paramref name="gsi"/>'s input is asserted: its line is at the level its polarity names.</summary>
    public bool Asserted(int gsi) => _lines[gsi] ^ ((_redirection[gsi] & PolarityLow) != 0);

    private void InputChanged(int pin, bool wasAsserted)
    {
        bool asserted = Asserted(pin);
        if ((_redirection[pin] & TriggerLevel) != 0) { if (asserted) Service(pin); }
        else if (asserted && !wasAsserted) Service(pin);
    }

    /// <summary>A local APIC's EOI broadcast for <paramref name="vector"/>: clears Remote IRR on matching level entries and re-delivers if the line is still asserted.</summary>
    public void EndOfInterrupt(byte vector)
    {
        for (int pin = 0; pin < PinCount; pin++)
        {
            ulong entry = _redirection[pin];
            if ((entry & TriggerLevel) == 0 || (entry & RemoteIrr) == 0 || (byte)(entry & VectorMask) != vector) continue;
            _redirection[pin] = entry & ~RemoteIrr;
            if (Asserted(pin)) Service(pin);
        }
    }

    /// <inheritdoc />
    public ulong Read(ulong address, int size)
    {
        ulong offset = address - BaseAddress;
        if (offset < 4) return (ulong)_select >> (int)(8 * offset);
        if (offset >= WindowOffset && offset < WindowOffset + 4) return ReadRegister(_select) >> (int)(8 * (offset - WindowOffset));
        _log?.Unmodelled(Name, $"read at +0x{offset:X} (only IOREGSEL and IOWIN exist on version 0x11)");
        return 0;
    }

    /// <inheritdoc />
    public void Write(ulong address, int size, ulong value)
    {
        ulong offset = address - BaseAddress;
        if (offset == RegSelOffset) { _select = (byte)value; return; }
        if (offset == WindowOffset && size >= 4) { WriteRegister(_select, (uint)value); return; }
        _log?.Unmodelled(Name, $"{size}-byte write at +0x{offset:X} (registers take aligned 32-bit writes)");
    }

    private const string Name = "ioapic";

    private uint ReadRegister(byte index)
    {
        switch (index)
        {
            case RegId: return _id;
            case RegVersion: return VersionValue;
            case RegArbitration: return _id; // the arbitration ID is loaded from the APIC ID
            case >= RegRedirFirst and <= RegRedirLast:
            {
                ulong entry = _redirection[(index - RegRedirFirst) >> 1];
                return (index & 1) == 0 ? (uint)entry : (uint)(entry >> 32);
            }
            default:
                _log?.Unmodelled(Name, $"read of register 0x{index:X2}");
                return 0;
        }
    }

    private void WriteRegister(byte index, uint value)
    {
        switch (index)
        {
            case RegId:
                if ((value & ~0x0F00_0000u) != 0) _log?.Unmodelled(Name, $"ID register bits 0x{value & ~0x0F00_0000u:X8}");
                _id = value & 0x0F00_0000;
                break;
            case RegVersion:
            case RegArbitration:
                _log?.Unmodelled(Name, $"write to read-only register 0x{index:X2}");
                break;
            case >= RegRedirFirst and <= RegRedirLast:
            {
                int pin = (index - RegRedirFirst) >> 1;
                ulong entry = _redirection[pin];
                ulong updated = (index & 1) == 0 ? (entry & ~0xFFFF_FFFFUL) | value : (entry & 0xFFFF_FFFFUL) | ((ulong)value << 32);
                if ((updated & ReservedBits & ~(entry & ReservedBits)) != 0) _log?.Unmodelled(Name, "reserved redirection entry bits");
                bool wasAsserted = Asserted(pin);
                _redirection[pin] = (updated & ~ReadOnlyBits) | (entry & ReadOnlyBits);
                if ((_redirection[pin] & TriggerLevel) == 0) _redirection[pin] &= ~RemoteIrr;
                // Unmasking a level entry whose input is asserted delivers it now; a polarity change can make an edge.
                InputChanged(pin, wasAsserted);
                break;
            }
            default:
                _log?.Unmodelled(Name, $"write of register 0x{index:X2}");
                break;
        }
    }

    private void Service(int pin)
    {
        ulong entry = _redirection[pin];
        if ((entry & Masked) != 0) return;
        bool level = (entry & TriggerLevel) != 0;
        if (level && (entry & RemoteIrr) != 0) return; // still in service at a local APIC
        var mode = (IoApicDeliveryMode)((entry >> 8) & 7);
        if (level && mode is IoApicDeliveryMode.Fixed or IoApicDeliveryMode.LowestPriority) _redirection[pin] |= RemoteIrr;
        InterruptRequested?.Invoke(new IoApicInterrupt((byte)(entry & VectorMask), mode, (byte)(entry >> 56), (entry & DestModeLogical) != 0, level, pin));
    }
}
