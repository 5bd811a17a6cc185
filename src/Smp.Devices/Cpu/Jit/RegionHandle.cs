using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// A CPU's use of a <see cref="Translation"/>: attached to the head block it was formed at (so it dies with that block
/// when its code is overwritten), it remembers the blocks the translation was made from and the epochs at which this
/// CPU last checked that they are all still current and that its mode still matches.
/// </summary>
internal sealed class RegionHandle(ulong rip, Translation translation, DecodedBlock[] blocks, ulong[] nodeRips,
    (ulong Linear, ulong Physical)[] checkedPages, int cpl, uint csLimit, bool watched)
{
    /// <summary>RIP of the head (the translation's instruction addresses are constants).</summary>
    public ulong Rip { get; } = rip;

    /// <summary>The shared compiled code.</summary>
    public Translation Translation { get; } = translation;

    /// <summary>Every block the region covers (node by node), whose stamps say whether its code bytes changed.</summary>
    public DecodedBlock[] Blocks { get; } = blocks;

    /// <summary>The RIP of each node: a block entered at a node (<see cref="DecodedBlock.RegionEntry"/>) must be at it.</summary>
    public ulong[] NodeRips { get; } = nodeRips;

    /// <summary>
    /// The linear pages of the region's code the CPU checks quietly, with the physical page each translated to: those
    /// other than the head's, and the head's too when the region can be entered elsewhere (the fetch that reaches an
    /// entry vouches only for the entry's page).
    /// </summary>
    public (ulong Linear, ulong Physical)[] CheckedPages { get; } = checkedPages;

    /// <summary>The CPL the translation was made for.</summary>
    public int Cpl { get; } = cpl;

    /// <summary>The CS limit the translation was made for (outside 64-bit mode).</summary>
    public uint CsLimit { get; } = csLimit;

    /// <summary>Whether the CPU watched functions when the region was formed.</summary>
    public bool Watched { get; } = watched;

    /// <summary>The CPU's fetch epoch at the last check.</summary>
    public ulong FetchEpoch;

    /// <summary>Memory's code epoch at the last check.</summary>
    public long CodeEpoch = -1;
}
