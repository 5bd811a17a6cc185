using System.Globalization;
using System.Text.Json;

namespace Smp.Host.Stress;

/// <summary>
/// A set of stress seeds: <c>First</c>, <c>First + Step</c>, … up to <c>Last</c> inclusive (<c>Last</c> is a member).
/// A whole campaign is one span (step 1, or n for shard i/n, whose seeds are striped); the ranges workers run and
/// the ranges a report lists as completed are spans too. Written <c>A..B</c> (step 1) or <c>A..B/n</c>.
/// </summary>
/// <param name="First">The first seed.</param>
/// <param name="Last">The last seed (inclusive; <c>Last − First</c> is a multiple of <c>Step</c>).</param>
/// <param name="Step">The distance between seeds, at least 1.</param>
internal readonly record struct SeedSpan(ulong First, ulong Last, ulong Step)
{
    /// <summary>The number of seeds.</summary>
    public ulong Count => (Last - First) / Step + 1;

    /// <summary>The <paramref name="index"/>-th seed (0-based).</summary>
    public ulong Seed(ulong index) => First + index * Step;

    /// <summary>The seeds with indices [<paramref name="lo"/>, <paramref name="hi"/>) of this span.</summary>
    public SeedSpan Slice(ulong lo, ulong hi) => new(Seed(lo), Seed(hi - 1), Step);

    /// <summary>The index of <paramref name="seed"/> in this span (it must be a member).</summary>
    public ulong IndexOf(ulong seed) => (seed - First) / Step;

    /// <summary>Whether <paramref name="other"/> lies in this span's residue class with the same step (its seeds are slices of this span's sequence).</summary>
    public bool Aligned(SeedSpan other) => other.Step == Step && other.First % Step == First % Step;

    /// <summary>
    /// Whether the two spans share a seed: the seeds ≡ First (mod Step) of each, within both bounds. With different
    /// steps that is a pair of congruences, solved by the Chinese remainder theorem.
    /// </summary>
    public bool Overlaps(SeedSpan other)
    {
        ulong lo = Math.Max(First, other.First), hi = Math.Min(Last, other.Last);
        if (lo > hi) return false;
        // x ≡ First (mod Step), x ≡ other.First (mod other.Step): solvable iff the residues agree modulo gcd.
        Int128 m1 = Step, m2 = other.Step, r1 = First % Step, r2 = other.First % other.Step;
        Int128 g = Gcd(m1, m2);
        if ((r2 - r1) % g != 0) return false;
        Int128 lcm = m1 / g * m2;
        // r1 + m1·k ≡ r2 (mod m2)  ⇒  k ≡ ((r2 − r1)/g)·inv(m1/g) (mod m2/g).
        Int128 m2g = m2 / g;
        Int128 k = Mod((r2 - r1) / g % m2g * Inverse(Mod(m1 / g, m2g), m2g), m2g);
        Int128 x = Mod(r1 + m1 * k, lcm);
        // The smallest common seed ≥ lo.
        Int128 first = lo + Mod(x - lo, lcm);
        return first <= hi;
    }

    /// <summary>Writes the span as <c>{"first":A,"last":B,"step":n}</c>.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("first", First);
        w.WriteNumber("last", Last);
        w.WriteNumber("step", Step);
        w.WriteEndObject();
    }

    /// <summary>Reads a span written by <see cref="WriteJson"/>.</summary>
    /// <exception cref="FormatException">The object is not a span (missing fields, step 0, last not a member).</exception>
    public static SeedSpan ReadJson(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("first", out var f) || !e.TryGetProperty("last", out var l)
            || !e.TryGetProperty("step", out var s) || !f.TryGetUInt64(out ulong first) || !l.TryGetUInt64(out ulong last)
            || !s.TryGetUInt64(out ulong step) || step == 0 || last < first || (last - first) % step != 0)
            throw new FormatException("a completed range is not {first, last, step} with last − first a multiple of step");
        return new SeedSpan(first, last, step);
    }

    /// <summary><c>A..B</c>, or <c>A..B/n</c> for a step n &gt; 1.</summary>
    public override string ToString() => Step == 1
        ? string.Create(CultureInfo.InvariantCulture, $"{First}..{Last}")
        : string.Create(CultureInfo.InvariantCulture, $"{First}..{Last}/{Step}");

    private static Int128 Gcd(Int128 a, Int128 b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    private static Int128 Mod(Int128 a, Int128 m) => (a % m + m) % m;

    // The inverse of a modulo m (a and m coprime), by the extended Euclidean algorithm.
    private static Int128 Inverse(Int128 a, Int128 m)
    {
        if (m == 1) return 0;
        Int128 t = 0, newT = 1, r = m, newR = a;
        while (newR != 0)
        {
            Int128 q = r / newR;
            (t, newT) = (newT, t - q * newT);
            (r, newR) = (newR, r - q * newR);
        }
        return Mod(t, m);
    }
}
