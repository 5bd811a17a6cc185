using System.Buffers;
using System.Text.Json;

namespace Smp.Host.Stress;

// Reports and journals read back: --resume continues one, --merge joins several.
internal sealed partial class StressReport
{
    /// <summary>
    /// Continues the campaign of a journal left by a campaign that was killed: its records are taken again (a last line
    /// cut short by the kill is dropped), into the same journal when <paramref name="journalPath"/> is it, else into a
    /// new journal there (a temporary one when null).
    /// </summary>
    /// <exception cref="FormatException">The file is not a journal, or its records are inconsistent.</exception>
    public static StressReport ResumeJournal(string path, string? journalPath)
    {
        var old = StressJournal.Reopen(path, out var header, out var records);
        StressCampaignSpec spec;
        using (header)
        {
            try
            {
                spec = StressCampaignSpec.ReadJson(header.RootElement.GetProperty("campaign"));
            }
            catch
            {
                old.Dispose();
                throw;
            }
        }

        if (journalPath is not null && Path.GetFullPath(journalPath) == Path.GetFullPath(path))
        {
            var same = new StressReport(old, spec);
            try
            {
                foreach (var (offset, line) in records) same.Reread(line, offset, path);
                return same;
            }
            catch
            {
                same.Dispose();
                throw;
            }
        }

        old.Dispose();
        var report = Begin(spec, journalPath);
        try
        {
            foreach (var (_, line) in records)
                if (!report.Accept(line)) throw new FormatException("two of its records share seeds");
            return report;
        }
        catch
        {
            report.Dispose();
            throw;
        }
    }

    /// <summary>Continues the campaign of a (partial) report: its contents become the first records of a new journal.</summary>
    /// <exception cref="FormatException">The document is not a report of one run.</exception>
    public static StressReport ResumeReport(JsonDocument doc, string source, string? journalPath)
    {
        var spec = StressCampaignSpec.ReadJson(CheckFormat(doc.RootElement).GetProperty("campaign"));
        var report = Begin(spec, journalPath);
        try
        {
            report.Import(doc.RootElement, source);
            return report;
        }
        catch
        {
            report.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Merges reports of one campaign (same handlers, CPUs and scenario): their seeds must not overlap, partial reports
    /// are welcome; totals add up, the seed range is the union, violations and expected outcomes are ordered by seed.
    /// </summary>
    /// <exception cref="FormatException">A report is not an <c>smp-stress/2</c> report, belongs to another campaign, or overlaps another.</exception>
    public static StressReport Merge(IEnumerable<(JsonDocument Doc, string Source)> reports)
    {
        StressReport? m = null;
        try
        {
            foreach (var (doc, source) in reports)
            {
                var root = CheckFormat(doc.RootElement);
                var c = root.GetProperty("campaign");
                string handlers = c.GetProperty("handlers").GetString()!, scenario = c.GetProperty("scenario").GetString()!;
                int cpus = c.GetProperty("cpus").GetInt32();
                ulong first = c.GetProperty("first").GetUInt64(), last = c.GetProperty("last").GetUInt64();
                if (m is null)
                {
                    m = new StressReport(StressJournal.Create(null, StressJournal.Header(c.WriteTo)), null)
                    {
                        Handlers = handlers, Cpus = cpus, Scenario = scenario, First = first, Last = last,
                    };
                }
                else if (m.Handlers != handlers || m.Cpus != cpus || m.Scenario != scenario)
                {
                    throw new FormatException($"'{source}' belongs to another campaign (handlers, cpus or scenario differ)");
                }
                m.First = Math.Min(m.First, first);
                m.Last = Math.Max(m.Last, last);
                foreach (var s in c.GetProperty("shards").EnumerateArray()) m.Shards.Add(s.GetString()!);
                m.Import(root, source);
            }
            return m ?? throw new FormatException("there are no reports to merge");
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            m?.Dispose();
            throw new FormatException("a report's campaign is incomplete", ex);
        }
        catch
        {
            m?.Dispose();
            throw;
        }
    }

    private static JsonElement CheckFormat(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() != Format)
            throw new FormatException($"it is not an {Format} report");
        return root;
    }

    // Takes a report's seeds into this one: a record with its ranges, totals and expected outcomes, then its violations
    // in records of JournalRecord.ChunkViolations each.
    private void Import(JsonElement root, string source)
    {
        try
        {
            var spans = root.GetProperty("completed").EnumerateArray().Select(SeedSpan.ReadJson).ToList();
            lock (_gate)
            {
                foreach (var s in spans)
                {
                    if (OverlapOf(s) is { } other)
                        throw new FormatException(
                            $"'{source}' covers seeds {s} and '{other.Source}' covers {other.Span}: a seed may be merged only once (the same report twice, or overlapping shards or ranges)");
                    if (Spec?.Target is { } target && (!target.Aligned(s) || s.First < target.First || s.Last > target.Last))
                        throw new FormatException($"its completed range {s} is not part of its campaign's seeds {target}");
                }
                var totals = root.GetProperty("totals");
                StressTotals.Read(totals);
                Take(Line(w =>
                {
                    w.WriteStartArray("spans");
                    foreach (var s in spans) s.WriteJson(w);
                    w.WriteEndArray();
                    w.WritePropertyName("totals");
                    totals.WriteTo(w);
                    w.WriteStartArray("violations");
                    w.WriteEndArray();
                    w.WritePropertyName("expected");
                    root.GetProperty("expected").WriteTo(w);
                }), source);
                var chunk = new List<JsonElement>(JournalRecord.ChunkViolations);
                foreach (var v in root.GetProperty("violations").EnumerateArray())
                {
                    chunk.Add(v);
                    if (chunk.Count == JournalRecord.ChunkViolations) TakeChunk(chunk, source);
                }
                if (chunk.Count > 0) TakeChunk(chunk, source);
            }
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"'{source}' is not a complete {Format} report", ex);
        }
    }

    private void TakeChunk(List<JsonElement> violations, string source)
    {
        Take(Line(w =>
        {
            w.WriteStartArray("spans");
            w.WriteEndArray();
            w.WriteStartArray("violations");
            foreach (var v in violations) v.WriteTo(w);
            w.WriteEndArray();
            w.WriteStartArray("expected");
            w.WriteEndArray();
        }), source);
        violations.Clear();
    }

    private void Take(byte[] line, string source)
    {
        var record = JournalRecord.Parse(line);
        Count(record, _journal.Append(line), line.Length, source);
    }

    // A record of a journal being continued in place: checked like a new one, but already in the file.
    private void Reread(byte[] line, long offset, string source)
    {
        var record = JournalRecord.Parse(line);
        lock (_gate)
        {
            foreach (var s in record.Spans)
                if (OverlapOf(s) is not null) throw new FormatException("two of its records share seeds");
            Count(record, offset, line.Length, source);
        }
    }

    private static byte[] Line(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            members(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
