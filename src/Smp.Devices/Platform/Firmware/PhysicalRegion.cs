namespace Smp.Devices.Platform;

/// <summary>A named window of the machine's physical address map (RAM, ROM, MMIO or a hole).</summary>
/// <param name="Base">First physical address.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Name">What occupies it, e.g. "VGA window" or "I/O APIC".</param>
public sealed record PhysicalRegion(ulong Base, ulong Length, string Name)
{
    /// <summary>The first address past the region.</summary>
    public ulong End => Base + Length;
}
