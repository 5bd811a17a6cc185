namespace Smp.Devices.Memory;

/// <summary>A port bus with no devices: reads float high, writes vanish (as on an empty ISA bus).</summary>
public sealed class NullPortBus : IPortBus
{
    /// <summary>The shared instance.</summary>
    public static readonly NullPortBus Instance = new();

    /// <inheritdoc />
    public uint In(ushort port, int size) => size switch { 1 => 0xFF, 2 => 0xFFFF, _ => 0xFFFF_FFFF };

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value) { }
}
