namespace Smp.Devices.Platform;

/// <summary>A device that claims one or more ranges of the I/O port space through a <see cref="PortBus"/>.</summary>
public interface IPortDevice
{
    /// <summary>Reads <paramref name="size"/> bytes (1, 2 or 4) from <paramref name="port"/>, one of the ports this device claimed.</summary>
    uint In(ushort port, int size);

    /// <summary>Writes the low <paramref name="size"/> bytes (1, 2 or 4) of <paramref name="value"/> to <paramref name="port"/>.</summary>
    void Out(ushort port, int size, uint value);
}
