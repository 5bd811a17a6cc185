namespace Smp.Devices.Memory;

/// <summary>The I/O port address space as seen by IN/OUT/INS/OUTS.</summary>
public interface IPortBus
{
    /// <summary>Reads <paramref name="size"/> bytes (1, 2 or 4) from <paramref name="port"/>; unclaimed ports read as all ones.</summary>
    uint In(ushort port, int size);

    /// <summary>Writes <paramref name="size"/> bytes (1, 2 or 4) to <paramref name="port"/>; unclaimed ports ignore writes.</summary>
    void Out(ushort port, int size, uint value);
}
