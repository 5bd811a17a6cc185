using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

/// <summary>
/// QEMU's pc-testdev (hw/misc/pc-testdev.c), the device kvm-unit-tests' x86 runner adds with <c>-device pc-testdev</c>:
/// <list type="bullet">
/// <item>0xE0–0xE3: a 32-bit scratch register, any access width, each byte lane at its own port;</item>
/// <item>0xE4–0xE7: "flush page": a 32-bit write of a physical address invalidates that page's cached translations and
/// decoded code (<see cref="PageFlushRequested"/>; the machine does the invalidating); other widths are ignored, as QEMU
/// accepts only 4-byte accesses there; reads return 0;</item>
/// <item>0xE8–0xEB: the same scratch register, accessed one byte at a time;</item>
/// <item>0x2000 + n (n &lt; 24): a byte written raises (non-zero) or lowers (zero) interrupt line n — ISA IRQ n through the
/// PIC and the I/O APIC (IRQ0 reaches pin 2) for n &lt; 16, I/O APIC pin n above (QEMU would abort there); a wider write
/// is one byte per consecutive line, as QEMU splits it; reads return 0;</item>
/// <item>0xFF000000–0xFF00FFFF: 64 KiB of MMIO scratch memory.</item>
/// </list>
/// </summary>
public sealed class PcTestdev : IPortDevice, IMmioDevice
{
    /// <summary>The scratch register's ports.</summary>
    public const ushort ScratchPort = 0xE0;

    /// <summary>The flush-page port.</summary>
    public const ushort FlushPagePort = 0xE4;

    /// <summary>The byte-wise alias of the scratch register.</summary>
    public const ushort ScratchBytePort = 0xE8;

    /// <summary>The first interrupt-line port.</summary>
    public const ushort IrqPortBase = 0x2000;

    /// <summary>How many interrupt-line ports there are.</summary>
    public const int IrqLines = 24;

    /// <summary>The MMIO scratch window's base.</summary>
    public const ulong MmioBase = 0xFF00_0000;

    /// <summary>The MMIO scratch window's size.</summary>
    public const int MmioSize = 0x10000;

    private readonly Action<int, bool> _setLine;
    private readonly byte[] _memory = new byte[MmioSize];
    private uint _scratch;

    /// <summary>Creates the device.</summary>
    /// <param name="setLine">Drives interrupt line n (0–23) to a level.</param>
    public PcTestdev(Action<int, bool> setLine) => _setLine = setLine ?? throw new ArgumentNullException(nameof(setLine));

    /// <summary>Raised with the physical address a guest wrote to the flush-page port.</summary>
    public event Action<ulong>? PageFlushRequested;

    /// <summary>The scratch register.</summary>
    public uint Scratch => _scratch;

    /// <summary>Claims the device's ports on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(ScratchPort, 12, this);
        bus.Register(IrqPortBase, IrqLines, this);
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        if (port >= IrqPortBase || port is >= FlushPagePort and < ScratchBytePort) return 0;
        return ReadScratch(port & 3, size);
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        if (port >= IrqPortBase)
        {
            // The lines take byte accesses; QEMU's memory core splits a wider one into bytes on consecutive ports
            // (kvm-unit-tests' realmode raises IRQ11 with outl to 0x200B, which also lowers lines 12-14).
            for (int i = 0; i < size && port - IrqPortBase + i < IrqLines; i++) _setLine(port - IrqPortBase + i, ((value >> (i * 8)) & 0xFF) != 0);
            return;
        }

        if (port is >= FlushPagePort and < ScratchBytePort)
        {
            if (size == 4) PageFlushRequested?.Invoke(value & ~0xFFFUL);
            return;
        }

        for (int i = 0; i < size && (port & 3) + i < 4; i++)
        {
            int shift = ((port & 3) + i) * 8;
            _scratch = (_scratch & ~(0xFFu << shift)) | (((value >> (i * 8)) & 0xFF) << shift);
        }
    }

    /// <inheritdoc />
    public ulong Read(ulong address, int size)
    {
        ulong v = 0;
        for (int i = size - 1; i >= 0; i--) v = (v << 8) | ByteAt(address + (ulong)i);
        return v;
    }

    /// <inheritdoc />
    public void Write(ulong address, int size, ulong value)
    {
        for (int i = 0; i < size; i++, value >>= 8)
        {
            ulong offset = address + (ulong)i - MmioBase;
            if (offset < MmioSize) _memory[offset] = (byte)value;
        }
    }

    private byte ByteAt(ulong address)
    {
        ulong offset = address - MmioBase;
        return offset < MmioSize ? _memory[offset] : (byte)0xFF;
    }

    private uint ReadScratch(int lane, int size)
    {
        uint v = _scratch >> (lane * 8);
        return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
    }
}
