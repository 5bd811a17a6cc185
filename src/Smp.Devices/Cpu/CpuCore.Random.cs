namespace Smp.Devices.Cpu;

// The digital random number generator behind RDRAND and RDSEED (SDM Vol. 1 §7.3.17). The hardware's entropy
// source would make runs irreproducible, so each CPU draws from a counter-based generator instead: the n-th
// value is a strong 64-bit mix (SplitMix64's finaliser) of the seed and n. A guest sees well-distributed
// values and never a failure; the same seed gives the same sequence, and the counter is part of a snapshot.
public sealed partial class CpuCore
{
    /// <summary>
    /// Seed of this CPU's RDRAND/RDSEED sequence (default 0; a machine may set it from its run seed). The APIC ID
    /// is mixed in as well, so CPUs with one seed draw different values.
    /// </summary>
    public ulong RandomSeed;

    private ulong _randomCounter;

    /// <summary>Values drawn so far by RDRAND and RDSEED (saved with the CPU's state).</summary>
    public ulong RandomDraws => _randomCounter;

    /// <summary>The next value of the sequence.</summary>
    internal ulong NextRandom()
    {
        ulong z = RandomSeed + (ulong)ApicId * 0xD1B5_4A32_D192_ED03UL + ++_randomCounter * 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}
