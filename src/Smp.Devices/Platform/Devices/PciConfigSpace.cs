namespace Smp.Devices.Platform;

/// <summary>
/// PCI configuration mechanism #1 as the i440FX host bridge decodes it (PCI Local Bus Specification 3.0 §3.2.2.3.2;
/// 82441FX PMC datasheet, CONFADD/CONFDATA): a dword write to 0xCF8 latches CONFIG_ADDRESS (bit 31 enable, bus 23:16,
/// device 15:11, function 10:8, register 7:2); byte, word or dword accesses to 0xCFC–0xCFF then reach that register of
/// that function. Functions nobody implements, other buses, and a disabled CONFIG_ADDRESS read all ones (a master
/// abort). Byte port 0xCF9 is the PIIX3's Reset Control register (82371SB datasheet §4.1.1, RC): a 0→1 transition of
/// RCPU (bit 2) resets the system, hard (SRST, bit 1 = 1) or soft (INIT).
/// </summary>
public sealed class PciConfigSpace : IPortDevice
{
    /// <summary>CONFIG_ADDRESS.</summary>
    public const ushort AddressPort = 0xCF8;

    /// <summary>The PIIX3 Reset Control register.</summary>
    public const ushort ResetControlPort = 0xCF9;

    /// <summary>CONFIG_DATA (0xCFC–0xCFF).</summary>
    public const ushort DataPort = 0xCFC;

    private const byte ResetCpu = 1 << 2, SystemReset = 1 << 1;

    private readonly Dictionary<int, PciFunction> _functions = [];
    private uint _address;
    private byte _resetControl;

    /// <summary>Raised when the guest resets the system through 0xCF9, with true for a hard reset (SRST = 1) and false for a soft reset (INIT).</summary>
    public event Action<bool>? ResetRequested;

    /// <summary>CONFIG_ADDRESS as last written.</summary>
    public uint ConfigAddress => _address;

    /// <summary>Places <paramref name="function"/> at bus 0, <paramref name="device"/>.<paramref name="functionNumber"/>.</summary>
    public void Add(int device, int functionNumber, PciFunction function) => _functions.Add((device << 3) | functionNumber, function);

    /// <summary>The function at bus 0, <paramref name="device"/>.<paramref name="functionNumber"/>, or null.</summary>
    public PciFunction? At(int device, int functionNumber) => _functions.GetValueOrDefault((device << 3) | functionNumber);

    /// <summary>Claims 0xCF8–0xCFF on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(AddressPort, 8, this);

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        if (port >= DataPort) return Target() is { } f ? f.Read((int)(_address & 0xFC) + (port - DataPort), Math.Min(size, 4 - (port - DataPort))) : uint.MaxValue;
        if (port == AddressPort && size == 4) return _address;
        if (port == ResetControlPort && size == 1) return (uint)(_resetControl & SystemReset); // RCPU reads back 0
        return uint.MaxValue; // other widths at 0xCF8–0xCFB are not decoded by the host bridge
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        if (port >= DataPort)
        {
            Target()?.Write((int)(_address & 0xFC) + (port - DataPort), Math.Min(size, 4 - (port - DataPort)), value);
            return;
        }

        if (port == AddressPort && size == 4)
        {
            _address = value & 0x80FF_FFFC; // reserved bits 30:24 and 1:0 read 0
            return;
        }

        if (port == ResetControlPort && size == 1)
        {
            bool rising = (value & ResetCpu) != 0 && (_resetControl & ResetCpu) == 0;
            _resetControl = (byte)(value & (SystemReset | ResetCpu));
            if (rising) ResetRequested?.Invoke((value & SystemReset) != 0);
        }
    }

    private PciFunction? Target()
    {
        if ((_address & 0x8000_0000) == 0 || ((_address >> 16) & 0xFF) != 0) return null;
        return At((int)((_address >> 11) & 0x1F), (int)((_address >> 8) & 7));
    }
}
