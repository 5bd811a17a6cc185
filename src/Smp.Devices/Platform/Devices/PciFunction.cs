using System.Buffers.Binary;

namespace Smp.Devices.Platform;

/// <summary>
/// One PCI function's 256-byte configuration space (PCI Local Bus Specification 3.0 §6.1–§6.2): reset values, a
/// per-bit write mask and a per-bit write-one-to-clear mask, so that read-only, read/write and RW1C fields behave
/// as the hardware's (BARs a function does not implement stay read-only 0, which sizes them as absent). Bytes that
/// the device's datasheet gives a meaning the model does not act on are named in <see cref="Watch"/> and reported
/// when the guest changes them.
/// </summary>
public sealed class PciFunction
{
    private readonly byte[] _space = new byte[256];
    private readonly byte[] _writable = new byte[256];
    private readonly byte[] _clearOnOne = new byte[256];
    private readonly Dictionary<int, string> _watched = [];
    private readonly DeviceLog? _log;

    /// <summary>Creates a function with the standard header fields; the rest of the space reads 0 until <see cref="Set"/>.</summary>
    /// <param name="name">A name for reports (e.g. "i440fx").</param>
    /// <param name="vendorId">Vendor ID (offset 0x00).</param>
    /// <param name="deviceId">Device ID (0x02).</param>
    /// <param name="revision">Revision ID (0x08).</param>
    /// <param name="classCode">Class code: base class, subclass, programming interface (0x0B, 0x0A, 0x09).</param>
    /// <param name="headerType">Header type (0x0E), bit 7 = multi-function.</param>
    /// <param name="log">Where unmodelled register changes are reported.</param>
    public PciFunction(string name, ushort vendorId, ushort deviceId, byte revision, uint classCode, byte headerType, DeviceLog? log = null)
    {
        Name = name;
        _log = log;
        Set(0x00, 2, vendorId);
        Set(0x02, 2, deviceId);
        Set(0x08, 1, revision);
        Set(0x09, 3, classCode);
        Set(0x0E, 1, headerType);
        // Command: I/O, memory, bus master, parity error response and SERR# enables are writable (§6.2.2);
        // status bits 15:11 and 8 are write-one-to-clear error flags.
        Writable(0x04, 2, 0x0147);
        ClearOnOne(0x06, 2, 0xF900);
    }

    /// <summary>The function's name in reports.</summary>
    public string Name { get; }

    /// <summary>Vendor ID.</summary>
    public ushort VendorId => BinaryPrimitives.ReadUInt16LittleEndian(_space);

    /// <summary>Device ID.</summary>
    public ushort DeviceId => BinaryPrimitives.ReadUInt16LittleEndian(_space.AsSpan(2));

    /// <summary>Sets <paramref name="size"/> bytes at <paramref name="offset"/> to their reset value (little-endian).</summary>
    public PciFunction Set(int offset, int size, uint value)
    {
        for (int i = 0; i < size; i++) _space[offset + i] = (byte)(value >> (8 * i));
        return this;
    }

    /// <summary>Makes the bits of <paramref name="mask"/> in the <paramref name="size"/> bytes at <paramref name="offset"/> writable.</summary>
    public PciFunction Writable(int offset, int size, uint mask)
    {
        for (int i = 0; i < size; i++) _writable[offset + i] = (byte)(mask >> (8 * i));
        return this;
    }

    /// <summary>Makes the bits of <paramref name="mask"/> write-one-to-clear.</summary>
    public PciFunction ClearOnOne(int offset, int size, uint mask)
    {
        for (int i = 0; i < size; i++) _clearOnOne[offset + i] = (byte)(mask >> (8 * i));
        return this;
    }

    /// <summary>Names the writable bytes at <paramref name="offset"/> whose effect is not modelled; changes to them are reported.</summary>
    public PciFunction Watch(int offset, int size, string meaning)
    {
        for (int i = 0; i < size; i++) _watched[offset + i] = meaning;
        return this;
    }

    /// <summary>The byte at <paramref name="offset"/>, without side effects.</summary>
    public byte Peek(int offset) => _space[offset];

    /// <summary>Reads <paramref name="size"/> bytes (1, 2 or 4) at <paramref name="offset"/>.</summary>
    public uint Read(int offset, int size)
    {
        uint value = 0;
        for (int i = size - 1; i >= 0; i--) value = (value << 8) | _space[(offset + i) & 0xFF];
        return value;
    }

    /// <summary>Writes <paramref name="size"/> bytes (1, 2 or 4) at <paramref name="offset"/> through the write masks.</summary>
    public void Write(int offset, int size, uint value)
    {
        for (int i = 0; i < size; i++)
        {
            int at = (offset + i) & 0xFF;
            byte b = (byte)(value >> (8 * i));
            byte old = _space[at];
            byte updated = (byte)((old & ~_writable[at]) | (b & _writable[at]));
            updated &= (byte)~(b & _clearOnOne[at]);
            _space[at] = updated;
            if (updated != old && _watched.TryGetValue(at, out string? meaning))
                _log?.Unmodelled(Name, $"{meaning} changed (config byte 0x{at:X2} = 0x{updated:X2})");
        }
    }
}
