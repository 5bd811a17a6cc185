using System.Text.Json;

namespace Smp.Host.Stress;

/// <summary>
/// One record of a campaign journal, parsed: the seed spans it completes, their totals, and its findings. A range's
/// record has one span and its totals; a report imported for <c>--resume</c> or <c>--merge</c> becomes a record with its
/// spans and totals followed by records of its violations only (at most <see cref="ChunkViolations"/> each).
/// </summary>
/// <param name="Spans">The spans completed (empty for a chunk of an imported report's violations).</param>
/// <param name="Totals">The spans' totals, or null for a chunk of violations.</param>
/// <param name="Violations">The number of violations.</param>
/// <param name="MinSeed">The lowest violation seed (when <paramref name="Violations"/> &gt; 0).</param>
/// <param name="Expected">The expected outcomes the record keeps: seed, position in the record, JSON.</param>
internal sealed record JournalRecord(IReadOnlyList<SeedSpan> Spans, StressTotals? Totals, int Violations, ulong MinSeed,
    IReadOnlyList<(ulong Seed, int Position, byte[] Json)> Expected)
{
    /// <summary>Violations per record when a report's list is imported.</summary>
    public const int ChunkViolations = 256;

    /// <summary>Parses and checks a record: findings in seed order, and inside the record's spans when it has any.</summary>
    /// <exception cref="FormatException">The bytes are not a record.</exception>
    public static JournalRecord Parse(ReadOnlyMemory<byte> line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var spans = new List<SeedSpan>();
            foreach (var s in root.GetProperty("spans").EnumerateArray()) spans.Add(SeedSpan.ReadJson(s));
            StressTotals? totals = root.TryGetProperty("totals", out var t) && t.ValueKind == JsonValueKind.Object ? StressTotals.Read(t) : null;
            int count = 0;
            ulong min = 0, previous = 0;
            foreach (var v in root.GetProperty("violations").EnumerateArray())
            {
                ulong seed = FindingSeed(v, spans);
                if (count == 0) min = seed;
                else if (seed < previous) throw new FormatException("its violations are not in seed order");
                previous = seed;
                count++;
            }
            var expected = new List<(ulong, int, byte[])>();
            int position = 0;
            foreach (var e in root.GetProperty("expected").EnumerateArray())
                expected.Add((FindingSeed(e, spans), position++, JsonSerializer.SerializeToUtf8Bytes(e)));
            return new JournalRecord(spans, totals, count, min, expected);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("a record is not {spans, totals, violations, expected}", ex);
        }
    }

    /// <summary>The violations of a record, in order.</summary>
    public static IEnumerable<JsonElement> ViolationsOf(JsonDocument record) => record.RootElement.GetProperty("violations").EnumerateArray();

    private static ulong FindingSeed(JsonElement finding, List<SeedSpan> spans)
    {
        if (!finding.TryGetProperty("seed", out var s) || !s.TryGetUInt64(out ulong seed))
            throw new FormatException("a finding has no seed");
        if (spans.Count > 0 && !spans.Exists(span => span.Overlaps(new SeedSpan(seed, seed, 1))))
            throw new FormatException($"a finding's seed {seed} is outside the ranges it belongs to");
        return seed;
    }
}
