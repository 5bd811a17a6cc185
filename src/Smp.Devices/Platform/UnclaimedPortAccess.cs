namespace Smp.Devices.Platform;

/// <summary>An IN or OUT that no device claimed (the ISA bus floats high on reads; writes vanish).</summary>
/// <param name="Port">The port addressed.</param>
/// <param name="Size">The access size in bytes (1, 2 or 4).</param>
/// <param name="IsWrite">True for OUT, false for IN.</param>
/// <param name="Value">The value written, or the all-ones value returned to a read.</param>
public sealed record UnclaimedPortAccess(ushort Port, int Size, bool IsWrite, uint Value);
