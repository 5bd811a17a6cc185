using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Smp.Host.Stress;

/// <summary>
/// The totals of a campaign (or of several merged shard reports) and their two renderings: the summary
/// table and the JSON report. Nothing in either depends on the wall clock or the host, so the same seeds
/// give byte-identical output.
/// </summary>
/// <remarks>
/// JSON format <c>smp-stress/1</c>: <c>campaign</c> (handlers, cpus, scenario, seed range <c>first</c>..<c>last</c>,
/// <c>shards</c>: the <c>i/n</c> shards included), <c>totals</c> (seeds, scenarios by name, injections,
/// instructions, unfinished, deliveries by depth, violations by kind, seeds with violations, expected
/// guard-hole #DFs), <c>violations</c> (every one: seed, scenario, plan, kind, cpu, vector, ist, rip,
/// details, oops, console), <c>expected</c> (the first <see cref="ExpectedKept"/> guard-hole #DFs with
/// their oops; all are counted). Shard reports merge (<see cref="Merge"/>, <c>smp stress --merge</c>) by
/// summing totals, concatenating the arrays ordered by seed, and listing every shard.
/// </remarks>
internal sealed class StressReport
{
    /// <summary>Expected outcomes kept with their oops in a report (all are counted).</summary>
    public const int ExpectedKept = 5;

    /// <summary>The report's format name.</summary>
    public const string Format = "smp-stress/1";

    /// <summary>Handlers, as on the command line.</summary>
    public string Handlers { get; private set; } = "linux";

    /// <summary>CPUs.</summary>
    public int Cpus { get; private set; }

    /// <summary>The scenario option.</summary>
    public string Scenario { get; private set; } = "all";

    /// <summary>First seed of the range.</summary>
    public ulong First { get; private set; }

    /// <summary>Last seed of the range.</summary>
    public ulong Last { get; private set; }

    /// <summary>The shards included (<c>i/n</c>).</summary>
    public SortedSet<string> Shards { get; } = new(StringComparer.Ordinal);

    /// <summary>Seeds run.</summary>
    public long Seeds { get; private set; }

    /// <summary>Scenarios run, by name.</summary>
    public SortedDictionary<string, long> ScenarioCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>Violations, by scenario name.</summary>
    public SortedDictionary<string, long> ScenarioViolations { get; } = new(StringComparer.Ordinal);

    /// <summary>Injections made.</summary>
    public long Injections { get; private set; }

    /// <summary>Instructions executed.</summary>
    public long Instructions { get; private set; }

    /// <summary>Scenarios cut off by the instruction bound or the violation cap.</summary>
    public long Unfinished { get; private set; }

    /// <summary>Deliveries by nesting depth.</summary>
    public long[] DeliveriesByDepth { get; } = new long[16];

    /// <summary>Violations by kind.</summary>
    public SortedDictionary<string, long> ViolationsByKind { get; } = new(StringComparer.Ordinal);

    /// <summary>Seeds with at least one violation.</summary>
    public long SeedsWithViolations { get; private set; }

    /// <summary>Expected guard-hole #DFs (Linux handlers: the third nested #DB), one per seed that reached it.</summary>
    public long ExpectedCount { get; private set; }

    /// <summary>Every violation, by seed.</summary>
    public List<JsonElement> Violations { get; } = [];

    /// <summary>The first expected outcomes, by seed.</summary>
    public List<JsonElement> Expected { get; } = [];

    /// <summary>Total violations.</summary>
    public long ViolationCount => Violations.Count;

    /// <summary>The report of one shard's results.</summary>
    public static StressReport Of(StressCampaignSpec spec, IReadOnlyList<SeedResult> results)
    {
        var r = new StressReport
        {
            Handlers = spec.HandlersName, Cpus = spec.Cpus, Scenario = spec.Scenario, First = spec.First, Last = spec.Last,
        };
        r.Shards.Add(FormattableString.Invariant($"{spec.ShardIndex}/{spec.ShardCount}"));
        foreach (var s in results)
        {
            r.Seeds++;
            r.ScenarioCounts[s.Scenario] = r.ScenarioCounts.GetValueOrDefault(s.Scenario) + 1;
            r.ScenarioViolations[s.Scenario] = r.ScenarioViolations.GetValueOrDefault(s.Scenario) + s.Violations.Count;
            r.Injections += s.Injections;
            r.Instructions += s.Instructions;
            if (!s.Finished) r.Unfinished++;
            for (int d = 0; d < r.DeliveriesByDepth.Length; d++) r.DeliveriesByDepth[d] += s.DeliveriesByDepth[d];
            if (s.Violations.Count > 0) r.SeedsWithViolations++;
            foreach (var v in s.Violations)
            {
                r.ViolationsByKind[v.Kind.ToString()] = r.ViolationsByKind.GetValueOrDefault(v.Kind.ToString()) + 1;
                r.Violations.Add(ToJson(v, s));
            }
            foreach (var e in s.Expected) if (e.Kind == StressViolationKind.DoubleFault) r.ExpectedCount++;
            foreach (var e in s.Expected)
                if (r.Expected.Count < ExpectedKept) r.Expected.Add(ToJson(e, s));
        }
        return r;
    }

    private static JsonElement ToJson(StressFinding f, SeedResult s)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("seed", f.Seed);
            w.WriteString("scenario", f.Scenario);
            w.WriteString("plan", s.Plan);
            w.WriteString("kind", f.Kind.ToString());
            w.WriteNumber("cpu", f.Cpu);
            w.WriteNumber("vector", f.Vector);
            w.WriteNumber("ist", f.Ist);
            w.WriteString("rip", FormattableString.Invariant($"0x{f.Rip:x}"));
            w.WriteString("details", f.Details);
            w.WriteString("oops", f.Oops);
            w.WriteString("console", s.Console);
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }

    /// <summary>Writes the JSON report (indented, stable key order).</summary>
    public void WriteJson(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteStartObject("campaign");
        w.WriteString("handlers", Handlers);
        w.WriteNumber("cpus", Cpus);
        w.WriteString("scenario", Scenario);
        w.WriteNumber("first", First);
        w.WriteNumber("last", Last);
        w.WriteStartArray("shards");
        foreach (var s in Shards) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("totals");
        w.WriteNumber("seeds", Seeds);
        WriteMap(w, "scenarios", ScenarioCounts);
        WriteMap(w, "violations_by_scenario", ScenarioViolations);
        w.WriteNumber("injections", Injections);
        w.WriteNumber("instructions", Instructions);
        w.WriteNumber("unfinished", Unfinished);
        w.WriteStartObject("deliveries_by_depth");
        for (int d = 0; d < DeliveriesByDepth.Length; d++)
            if (DeliveriesByDepth[d] != 0) w.WriteNumber(d.ToString(CultureInfo.InvariantCulture), DeliveriesByDepth[d]);
        w.WriteEndObject();
        WriteMap(w, "violations_by_kind", ViolationsByKind);
        w.WriteNumber("violations", ViolationCount);
        w.WriteNumber("seeds_with_violations", SeedsWithViolations);
        w.WriteNumber("expected_guard_hole_df", ExpectedCount);
        w.WriteEndObject();
        w.WriteStartArray("violations");
        foreach (var v in Violations) v.WriteTo(w);
        w.WriteEndArray();
        w.WriteStartArray("expected");
        foreach (var e in Expected) e.WriteTo(w);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, SortedDictionary<string, long> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map) w.WriteNumber(k, v);
        w.WriteEndObject();
    }

    /// <summary>
    /// Merges shard reports of one campaign (same handlers, CPUs and scenario): totals add up, the seed
    /// range is the union, violations and expected outcomes are ordered by seed.
    /// </summary>
    /// <exception cref="FormatException">A report is not an <c>smp-stress/1</c> report or belongs to another campaign.</exception>
    public static StressReport Merge(IEnumerable<JsonDocument> reports)
    {
        StressReport? m = null;
        foreach (var doc in reports)
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("format", out var f) || f.GetString() != Format)
                throw new FormatException($"not an {Format} report");
            var c = root.GetProperty("campaign");
            string handlers = c.GetProperty("handlers").GetString()!, scenario = c.GetProperty("scenario").GetString()!;
            int cpus = c.GetProperty("cpus").GetInt32();
            ulong first = c.GetProperty("first").GetUInt64(), last = c.GetProperty("last").GetUInt64();
            if (m is null)
                m = new StressReport { Handlers = handlers, Cpus = cpus, Scenario = scenario, First = first, Last = last };
            else if (m.Handlers != handlers || m.Cpus != cpus || m.Scenario != scenario)
                throw new FormatException("the reports belong to different campaigns (handlers, cpus or scenario differ)");
            m.First = Math.Min(m.First, first);
            m.Last = Math.Max(m.Last, last);
            foreach (var s in c.GetProperty("shards").EnumerateArray()) m.Shards.Add(s.GetString()!);
            var t = root.GetProperty("totals");
            m.Seeds += t.GetProperty("seeds").GetInt64();
            AddMap(m.ScenarioCounts, t.GetProperty("scenarios"));
            AddMap(m.ScenarioViolations, t.GetProperty("violations_by_scenario"));
            m.Injections += t.GetProperty("injections").GetInt64();
            m.Instructions += t.GetProperty("instructions").GetInt64();
            m.Unfinished += t.GetProperty("unfinished").GetInt64();
            foreach (var d in t.GetProperty("deliveries_by_depth").EnumerateObject())
                m.DeliveriesByDepth[int.Parse(d.Name, CultureInfo.InvariantCulture)] += d.Value.GetInt64();
            AddMap(m.ViolationsByKind, t.GetProperty("violations_by_kind"));
            m.SeedsWithViolations += t.GetProperty("seeds_with_violations").GetInt64();
            m.ExpectedCount += t.GetProperty("expected_guard_hole_df").GetInt64();
            foreach (var v in root.GetProperty("violations").EnumerateArray()) m.Violations.Add(v.Clone());
            foreach (var e in root.GetProperty("expected").EnumerateArray()) m.Expected.Add(e.Clone());
        }
        if (m is null) throw new FormatException("no reports to merge");
        static ulong Seed(JsonElement e) => e.GetProperty("seed").GetUInt64();
        var sorted = m.Violations.OrderBy(Seed).ToList();
        m.Violations.Clear();
        m.Violations.AddRange(sorted);
        var expected = m.Expected.OrderBy(Seed).Take(ExpectedKept).ToList();
        m.Expected.Clear();
        m.Expected.AddRange(expected);
        return m;
    }

    private static void AddMap(SortedDictionary<string, long> map, JsonElement e)
    {
        foreach (var p in e.EnumerateObject()) map[p.Name] = map.GetValueOrDefault(p.Name) + p.Value.GetInt64();
    }

    /// <summary>The summary table (scenarios, injections, nestings by depth, violations by kind).</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        void Line(string s) => sb.Append(s).Append('\n');
        string I(FormattableString f) => FormattableString.Invariant(f);
        Line(I($"smp stress: handlers {Handlers}, {Cpus} CPUs, scenario {Scenario}, seeds {First}..{Last}, shard {string.Join(",", Shards)}"));
        Line(I($"{"scenario",-20} {"seeds",8} {"violations",11}"));
        foreach (var (name, n) in ScenarioCounts)
            Line(I($"{name,-20} {n,8} {ScenarioViolations.GetValueOrDefault(name),11}"));
        Line(I($"{"total",-20} {Seeds,8} {ViolationCount,11}"));
        Line(I($"injections: {Injections}   instructions: {Instructions}   unfinished: {Unfinished}"));
        sb.Append("nestings reached (deliveries by depth):");
        for (int d = 1; d < DeliveriesByDepth.Length; d++)
            if (DeliveriesByDepth[d] != 0) sb.Append(I($"  {d}: {DeliveriesByDepth[d]}"));
        sb.Append('\n');
        Line("violations by kind:");
        foreach (var k in Enum.GetNames<StressViolationKind>())
            Line(I($"  {k,-18} {ViolationsByKind.GetValueOrDefault(k),8}"));
        Line(I($"seeds with violations: {SeedsWithViolations}"));
        Line(I($"expected guard-hole #DF (third nested #DB caught by the DB2 hole): {ExpectedCount}"));
        return sb.ToString();
    }
}
