namespace Smp.Devices.Memory;

/// <summary>A device that answers physical memory accesses in an address window (memory-mapped I/O).</summary>
public interface IMmioDevice
{
    /// <summary>Reads <paramref name="size"/> bytes (1, 2, 4 or 8) at <paramref name="address"/>.</summary>
    ulong Read(ulong address, int size);

    /// <summary>Writes the low <paramref name="size"/> bytes of <paramref name="value"/> at <paramref name="address"/>.</summary>
    void Write(ulong address, int size, ulong value);
}
