namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// Runs a translated region on <c>cpu</c> for at most <c>budget</c> instructions, entered at node <c>entry</c> (0, the
/// head, or another node outside any inlined call); returns how many retired (0 when the entry block does not fit in the
/// budget). On return RIP, the registers, the lazy flags and <see cref="CpuCore.InstructionsRetired"/> are as the
/// interpreter would have left them.
/// </summary>
internal delegate long RegionCode(CpuCore cpu, long budget, int entry);

/// <summary>
/// One compiled region, shared by every CPU that forms an equal <see cref="RegionKey"/> (process-wide, so later boots
/// reuse it). The method is compiled on a background thread unless the CPU asks to wait; until then
/// <see cref="Code"/> is null and the CPU keeps interpreting.
/// </summary>
internal sealed class Translation(RegionKey key)
{
    private RegionCode? _code;

    /// <summary>What the translation was made from.</summary>
    public RegionKey Key { get; } = key;

    /// <summary>The compiled method, or null while it is being compiled (or when it could not be).</summary>
    public RegionCode? Code => Volatile.Read(ref _code);

    /// <summary>Instructions in the region (for statistics).</summary>
    public int Instructions { get; init; }

    /// <summary>Makes the compiled method visible to every CPU.</summary>
    public void Publish(RegionCode code) => Volatile.Write(ref _code, code);
}
