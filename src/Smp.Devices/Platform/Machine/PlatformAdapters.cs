using Smp.Devices.Memory;
using Smp.Devices.Platform.Apic;

namespace Smp.Devices.Platform;

/// <summary>The legacy VGA window 0xA0000–0xBFFFF: a text buffer at 0xB8000–0xBFFFF keeps what is written; the rest reads 0xFF.</summary>
internal sealed class VgaWindow : IMmioDevice
{
    public const ulong Base = 0xA0000, Size = 0x20000, TextBase = 0xB8000;
    private readonly byte[] _text = new byte[0x8000];

    public ulong Read(ulong address, int size)
    {
        ulong v = 0;
        for (int i = size - 1; i >= 0; i--)
        {
            ulong a = address + (ulong)i;
            v = (v << 8) | (a >= TextBase && a < Base + Size ? _text[a - TextBase] : (byte)0xFF);
        }

        return v;
    }

    public void Write(ulong address, int size, ulong value)
    {
        for (int i = 0; i < size; i++, value >>= 8)
        {
            ulong a = address + (ulong)i;
            if (a >= TextBase && a < Base + Size) _text[a - TextBase] = (byte)value;
        }
    }
}

/// <summary>Serialises a device's MMIO accesses with the machine's device lock.</summary>
internal sealed class LockedMmio(IMmioDevice inner, Lock gate) : IMmioDevice
{
    public ulong Read(ulong address, int size)
    {
        lock (gate) return inner.Read(address, size);
    }

    public void Write(ulong address, int size, ulong value)
    {
        lock (gate) inner.Write(address, size, value);
    }
}

/// <summary>The PIC pair as the BSP's LINT0 ExtINT source.</summary>
internal sealed class PicExtIntSource(Pic8259Pair pic, Lock gate) : IExtIntSource
{
    public bool HasInterrupt => pic.HasInterrupt;

    public int Acknowledge()
    {
        lock (gate) return pic.Acknowledge();
    }
}
