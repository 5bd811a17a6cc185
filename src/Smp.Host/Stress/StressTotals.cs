using System.Globalization;
using System.Text.Json;

namespace Smp.Host.Stress;

/// <summary>
/// The aggregates of a set of seeds: everything a report's <c>totals</c> holds. Sums only, so the totals of a campaign
/// are the same whatever order its ranges were run in, on however many threads or nodes.
/// </summary>
internal sealed class StressTotals
{
    /// <summary>The nesting depths counted (index = depth).</summary>
    public const int Depths = 16;

    /// <summary>Seeds run.</summary>
    public long Seeds { get; private set; }

    /// <summary>Scenarios run, by name.</summary>
    public SortedDictionary<string, long> ScenarioCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>Violations, by scenario name (a scenario that ran has an entry, 0 when clean).</summary>
    public SortedDictionary<string, long> ScenarioViolations { get; } = new(StringComparer.Ordinal);

    /// <summary>Injections made.</summary>
    public long Injections { get; private set; }

    /// <summary>Instructions executed.</summary>
    public long Instructions { get; private set; }

    /// <summary>Scenarios cut off by the instruction bound or the violation cap.</summary>
    public long Unfinished { get; private set; }

    /// <summary>Deliveries by nesting depth.</summary>
    public long[] DeliveriesByDepth { get; } = new long[Depths];

    /// <summary>Violations by kind.</summary>
    public SortedDictionary<string, long> ViolationsByKind { get; } = new(StringComparer.Ordinal);

    /// <summary>Violations.</summary>
    public long Violations { get; private set; }

    /// <summary>Seeds with at least one violation.</summary>
    public long SeedsWithViolations { get; private set; }

    /// <summary>Expected guard-hole #DFs (Linux handlers: the third nested #DB), one per seed that reached it.</summary>
    public long ExpectedCount { get; private set; }

    /// <summary>Counts one seed's result.</summary>
    public void Add(SeedResult s)
    {
        Seeds++;
        ScenarioCounts[s.Scenario] = ScenarioCounts.GetValueOrDefault(s.Scenario) + 1;
        ScenarioViolations[s.Scenario] = ScenarioViolations.GetValueOrDefault(s.Scenario) + s.Violations.Count;
        Injections += s.Injections;
        Instructions += s.Instructions;
        if (!s.Finished) Unfinished++;
        for (int d = 0; d < Depths; d++) DeliveriesByDepth[d] += s.DeliveriesByDepth[d];
        if (s.Violations.Count > 0) SeedsWithViolations++;
        foreach (var v in s.Violations)
        {
            string kind = v.Kind.ToString();
            ViolationsByKind[kind] = ViolationsByKind.GetValueOrDefault(kind) + 1;
        }
        Violations += s.Violations.Count;
        foreach (var e in s.Expected) if (e.Kind == StressViolationKind.DoubleFault) ExpectedCount++;
    }

    /// <summary>Adds <paramref name="other"/>'s counts to these.</summary>
    public void Add(StressTotals other)
    {
        Seeds += other.Seeds;
        AddMap(ScenarioCounts, other.ScenarioCounts);
        AddMap(ScenarioViolations, other.ScenarioViolations);
        Injections += other.Injections;
        Instructions += other.Instructions;
        Unfinished += other.Unfinished;
        for (int d = 0; d < Depths; d++) DeliveriesByDepth[d] += other.DeliveriesByDepth[d];
        AddMap(ViolationsByKind, other.ViolationsByKind);
        Violations += other.Violations;
        SeedsWithViolations += other.SeedsWithViolations;
        ExpectedCount += other.ExpectedCount;
    }

    /// <summary>Writes the totals object's members (the caller opens and closes the object).</summary>
    public void WriteMembers(Utf8JsonWriter w)
    {
        w.WriteNumber("seeds", Seeds);
        WriteMap(w, "scenarios", ScenarioCounts);
        WriteMap(w, "violations_by_scenario", ScenarioViolations);
        w.WriteNumber("injections", Injections);
        w.WriteNumber("instructions", Instructions);
        w.WriteNumber("unfinished", Unfinished);
        w.WriteStartObject("deliveries_by_depth");
        for (int d = 0; d < Depths; d++)
            if (DeliveriesByDepth[d] != 0) w.WriteNumber(d.ToString(CultureInfo.InvariantCulture), DeliveriesByDepth[d]);
        w.WriteEndObject();
        WriteMap(w, "violations_by_kind", ViolationsByKind);
        w.WriteNumber("violations", Violations);
        w.WriteNumber("seeds_with_violations", SeedsWithViolations);
        w.WriteNumber("expected_guard_hole_df", ExpectedCount);
    }

    /// <summary>Reads a totals object written by <see cref="WriteMembers"/>.</summary>
    /// <exception cref="FormatException">A member is missing or malformed.</exception>
    public static StressTotals Read(JsonElement t)
    {
        try
        {
            var r = new StressTotals
            {
                Seeds = t.GetProperty("seeds").GetInt64(),
                Injections = t.GetProperty("injections").GetInt64(),
                Instructions = t.GetProperty("instructions").GetInt64(),
                Unfinished = t.GetProperty("unfinished").GetInt64(),
                Violations = t.GetProperty("violations").GetInt64(),
                SeedsWithViolations = t.GetProperty("seeds_with_violations").GetInt64(),
                ExpectedCount = t.GetProperty("expected_guard_hole_df").GetInt64(),
            };
            ReadMap(r.ScenarioCounts, t.GetProperty("scenarios"));
            ReadMap(r.ScenarioViolations, t.GetProperty("violations_by_scenario"));
            ReadMap(r.ViolationsByKind, t.GetProperty("violations_by_kind"));
            foreach (var d in t.GetProperty("deliveries_by_depth").EnumerateObject())
            {
                if (!int.TryParse(d.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int depth) || depth >= Depths)
                    throw new FormatException($"deliveries_by_depth has a depth '{d.Name}' outside 0..{Depths - 1}");
                r.DeliveriesByDepth[depth] = d.Value.GetInt64();
            }
            return r;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("its totals are incomplete or not numbers", ex);
        }
    }

    private static void AddMap(SortedDictionary<string, long> into, SortedDictionary<string, long> from)
    {
        foreach (var (k, v) in from) into[k] = into.GetValueOrDefault(k) + v;
    }

    private static void ReadMap(SortedDictionary<string, long> into, JsonElement e)
    {
        foreach (var p in e.EnumerateObject()) into[p.Name] = p.Value.GetInt64();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, SortedDictionary<string, long> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map) w.WriteNumber(k, v);
        w.WriteEndObject();
    }
}
