using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Smp.Host.Stress;

// The report's renderings: the JSON report, the summary table and the findings, streamed from the journal.
internal sealed partial class StressReport
{
    /// <summary>Writes the JSON report (indented, stable key order), streaming the violations from the journal in seed order.</summary>
    public void WriteJson(Stream stream)
    {
        lock (_gate)
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WritePropertyName("campaign");
            StressCampaignSpec.WriteCampaign(w, Handlers, Cpus, Scenario, First, Last, Shards);
            w.WriteBoolean("partial", Partial);
            w.WriteStartArray("completed");
            foreach (var s in Coalesce(_completed.Select(c => c.Span))) s.WriteJson(w);
            w.WriteEndArray();
            w.WriteStartObject("totals");
            Totals.WriteMembers(w);
            w.WriteEndObject();
            w.WriteStartArray("violations");
            foreach (var v in ViolationsInSeedOrder())
            {
                v.WriteTo(w);
                if (w.BytesPending > 1 << 16) w.Flush();
            }
            w.WriteEndArray();
            w.WriteStartArray("expected");
            foreach (var e in _expected)
            {
                using var doc = JsonDocument.Parse(e.Json);
                doc.RootElement.WriteTo(w);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
    }

    /// <summary>
    /// Writes the findings: one line per violation in seed order, and the full oops (with the guest's console) of the
    /// first <paramref name="oopses"/> failing seeds; for a campaign of one seed without violations, its expected outcome.
    /// </summary>
    public void WriteFindings(TextWriter output, int oopses)
    {
        lock (_gate)
        {
            int printed = 0;
            ulong? group = null;
            (ulong Seed, string Scenario, string Oops, string Console)? shown = null;
            foreach (var v in ViolationsInSeedOrder())
            {
                ulong seed = v.GetProperty("seed").GetUInt64();
                if (seed != group)
                {
                    Show(output, shown, ref printed, oopses);
                    group = seed;
                    shown = (seed, Text(v, "scenario"), Text(v, "oops"), Text(v, "console"));
                }
                output.Write(string.Create(CultureInfo.InvariantCulture,
                    $"seed {seed} {Text(v, "scenario")} CPU{v.GetProperty("cpu").GetInt32()} {Text(v, "kind")}: {Text(v, "details")}   [{Text(v, "plan")}]\n"));
            }
            Show(output, shown, ref printed, oopses);
            if (ViolationCount == 0 && Totals.Seeds == 1 && _expected.Count > 0)
            {
                using var doc = JsonDocument.Parse(_expected[0].Json);
                var e = doc.RootElement;
                printed = 0;
                Show(output, (e.GetProperty("seed").GetUInt64(), Text(e, "scenario"), Text(e, "oops"), Text(e, "console")), ref printed, oopses);
            }
        }
    }

    private static void Show(TextWriter output, (ulong Seed, string Scenario, string Oops, string Console)? shown, ref int printed, int oopses)
    {
        if (shown is not { } s || printed >= oopses) return;
        printed++;
        output.Write(string.Create(CultureInfo.InvariantCulture, $"---- oops, seed {s.Seed} ({s.Scenario}) ----\n"));
        output.Write(s.Oops);
        if (s.Console.Length > 0) output.Write(string.Create(CultureInfo.InvariantCulture, $"---- guest console, seed {s.Seed} ----\n{s.Console}"));
        output.Write("----\n");
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";

    /// <summary>The summary table (scenarios, injections, nestings by depth, violations by kind), and the ranges completed when partial.</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        void Line(string s) => sb.Append(s).Append('\n');
        string I(FormattableString f) => FormattableString.Invariant(f);
        var t = Totals;
        Line(I($"smp stress: handlers {Handlers}, {Cpus} CPUs, scenario {Scenario}, seeds {First}..{Last}, shard {string.Join(",", Shards)}"));
        if (Partial)
            Line(I($"partial: {CompletedSeeds} seeds completed, in {string.Join(", ", Completed)}; continue with --resume"));
        Line(I($"{"scenario",-20} {"seeds",8} {"violations",11}"));
        foreach (var (name, n) in t.ScenarioCounts)
            Line(I($"{name,-20} {n,8} {t.ScenarioViolations.GetValueOrDefault(name),11}"));
        Line(I($"{"total",-20} {t.Seeds,8} {ViolationCount,11}"));
        Line(I($"injections: {t.Injections}   instructions: {t.Instructions}   unfinished: {t.Unfinished}"));
        sb.Append("nestings reached (deliveries by depth):");
        for (int d = 1; d < StressTotals.Depths; d++)
            if (t.DeliveriesByDepth[d] != 0) sb.Append(I($"  {d}: {t.DeliveriesByDepth[d]}"));
        sb.Append('\n');
        Line("violations by kind:");
        foreach (var k in Enum.GetNames<StressViolationKind>())
            Line(I($"  {k,-18} {t.ViolationsByKind.GetValueOrDefault(k),8}"));
        Line(I($"seeds with violations: {t.SeedsWithViolations}"));
        Line(I($"expected guard-hole #DF (third nested #DB caught by the DB2 hole): {t.ExpectedCount}"));
        return sb.ToString();
    }

    /// <summary>
    /// Every violation in seed order, merged from the journal's records: records are opened in the order of their lowest
    /// seed and only while they can supply the next seed, so only records whose seeds interleave are held at once
    /// (one at a time for a campaign's own ranges).
    /// </summary>
    private IEnumerable<JsonElement> ViolationsInSeedOrder()
    {
        var order = Enumerable.Range(0, _withViolations.Count).OrderBy(i => _withViolations[i].MinSeed).ThenBy(i => i).ToList();
        var open = new PriorityQueue<(JsonDocument Doc, IEnumerator<JsonElement> At), (ulong Seed, int Record)>();
        int next = 0;
        try
        {
            while (true)
            {
                while (next < order.Count && (open.Count == 0 || _withViolations[order[next]].MinSeed <= open.Peek().At.Current.GetProperty("seed").GetUInt64()))
                {
                    var (offset, length, _) = _withViolations[order[next]];
                    var doc = JsonDocument.Parse(_journal.Read(offset, length));
                    var at = JournalRecord.ViolationsOf(doc).GetEnumerator();
                    at.MoveNext();
                    open.Enqueue((doc, at), (at.Current.GetProperty("seed").GetUInt64(), order[next]));
                    next++;
                }
                if (!open.TryDequeue(out var cursor, out var key)) yield break;
                yield return cursor.At.Current;
                if (cursor.At.MoveNext()) open.Enqueue(cursor, (cursor.At.Current.GetProperty("seed").GetUInt64(), key.Record));
                else cursor.Doc.Dispose();
            }
        }
        finally
        {
            while (open.TryDequeue(out var cursor, out _)) cursor.Doc.Dispose();
        }
    }
}
