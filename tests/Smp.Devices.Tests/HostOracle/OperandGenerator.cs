namespace Smp.Devices.Tests.HostOracle;

/// <summary>
/// Deterministic generator of "interesting" operands for differential tests: 0, 1, -1, sign boundaries
/// (0x7F/0x80/0xFF, 0x7FFF/0x8000/0xFFFF, 0x7FFFFFFF/0x80000000/..., 0x7FFF.../0x8000...), powers of two,
/// small values and uniform random values, mixed with a seeded <see cref="Random"/>.
/// </summary>
public sealed class OperandGenerator(int seed = 12345)
{
    private readonly Random random = new(seed);

    private static readonly ulong[] Boundaries = BuildBoundaries();

    /// <summary>The fixed list of interesting 64-bit values (before truncation to an operand size).</summary>
    public static IReadOnlyList<ulong> InterestingValues => Boundaries;

    private static ulong[] BuildBoundaries()
    {
        var list = new List<ulong> { 0, 1, 2, 3, ulong.MaxValue, ulong.MaxValue - 1 };
        foreach (int bits in new[] { 8, 16, 32, 64 })
        {
            ulong signBit = 1UL << (bits - 1);
            ulong all = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            list.AddRange([signBit - 1, signBit, signBit + 1, all, all - 1]);
            if (bits < 64) list.Add(all + 1);
        }
        list.AddRange([0x5555_5555_5555_5555, 0xAAAA_AAAA_AAAA_AAAA, 0x0F0F_0F0F_0F0F_0F0F, 0x1234_5678_9ABC_DEF0]);
        return list.Distinct().ToArray();
    }

    /// <summary>A 64-bit operand: ~40 % boundary values, ~15 % powers of two (±1), ~10 % small, rest uniform random.</summary>
    public ulong Next()
    {
        int k = random.Next(100);
        if (k < 40) return Boundaries[random.Next(Boundaries.Length)];
        if (k < 55)
        {
            ulong p = 1UL << random.Next(64);
            return (random.Next(3)) switch { 0 => p, 1 => p - 1, _ => p + 1 };
        }
        if (k < 65) return (ulong)random.Next(-16, 17);
        return NextRandom();
    }

    /// <summary>An operand of <paramref name="bits"/> (8/16/32/64): interesting values of that size, sign-boundary aware, zero-extended.</summary>
    public ulong Next(int bits)
    {
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        int k = random.Next(100);
        if (k < 30)
        {
            ulong signBit = 1UL << (bits - 1);
            ulong[] sized = [0, 1, 2, mask, mask - 1, signBit - 1, signBit, signBit + 1];
            return sized[random.Next(sized.Length)] & mask;
        }
        return Next() & mask;
    }

    /// <summary>A uniformly random 64-bit value.</summary>
    public ulong NextRandom()
    {
        Span<byte> b = stackalloc byte[8];
        random.NextBytes(b);
        return BitConverter.ToUInt64(b);
    }

    /// <summary>Random values for the six status flags and (if <paramref name="includeDf"/>) DF, in architectural positions.</summary>
    public ulong NextFlags(bool includeDf = false) =>
        (NextRandom() & (includeDf ? FlagsMask.Controllable : FlagsMask.Arithmetic)) | 2;

    /// <summary>A value in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive) => random.Next(maxExclusive);

    /// <summary>
    /// A full random input state: every GPR from <see cref="Next()"/>, random status flags (DF clear), random memory,
    /// RSP = <see cref="HostCpu.InitialRsp"/>. Callers then point their base registers into the window.
    /// </summary>
    public MachineState NextState()
    {
        var s = MachineState.CreateDefault();
        for (int i = 0; i < MachineState.GprCount; i++)
            if (i != MachineState.RspIndex)
                s.Gpr[i] = Next();
        s.Rflags = NextFlags();
        random.NextBytes(s.Memory);
        return s;
    }
}
