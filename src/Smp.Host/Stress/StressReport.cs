using System.Text.Json;

namespace Smp.Host.Stress;

/// <summary>
/// A campaign's report as it grows: the campaign, the seed ranges completed, the totals, and a journal holding every
/// range's findings (<see cref="StressJournal"/>). Ranges come in any order, from any thread or node; each is taken once
/// (<see cref="Accept"/> drops a range that shares a seed with one already taken), so the report depends only on which
/// seeds ran, never on how. Memory holds the totals, the completed ranges, an index of the journal's records and the
/// first <see cref="ExpectedKept"/> expected outcomes; the violations stay in the journal until the report is written.
/// </summary>
/// <remarks>
/// JSON format <c>smp-stress/2</c> (<see cref="WriteJson"/>): <c>campaign</c> (handlers, cpus, scenario, seed range
/// <c>first</c>..<c>last</c>, <c>shards</c>: the <c>i/n</c> shards included), <c>partial</c> (true when seeds of the
/// campaign are missing: an interrupted run, to be continued with <c>--resume</c>), <c>completed</c> (the seed ranges
/// included, as {first, last, step}, adjacent ranges joined), <c>totals</c>, <c>violations</c> (every one, in seed
/// order: seed, scenario, plan, kind, cpu, vector, ist, rip, details, oops, console), <c>expected</c> (the first
/// <see cref="ExpectedKept"/> guard-hole #DFs with their oops; all are counted). No field depends on the wall clock,
/// the host or the order ranges completed in: the same seeds give the same bytes however they were run.
/// </remarks>
internal sealed partial class StressReport : IDisposable
{
    /// <summary>Expected outcomes kept with their oops in a report (all are counted).</summary>
    public const int ExpectedKept = 5;

    /// <summary>The report's format name.</summary>
    public const string Format = "smp-stress/2";

    private readonly Lock _gate = new();
    private readonly StressJournal _journal;
    private readonly List<(SeedSpan Span, string Source)> _completed = [];
    private readonly List<(long Offset, int Length, ulong MinSeed)> _withViolations = [];
    private readonly List<(ulong Seed, int Record, int Position, byte[] Json)> _expected = [];
    private int _records;

    private StressReport(StressJournal journal, StressCampaignSpec? spec)
    {
        _journal = journal;
        Spec = spec;
        if (spec is null) return;
        Handlers = spec.HandlersName;
        Cpus = spec.Cpus;
        Scenario = spec.Scenario;
        First = spec.First;
        Last = spec.Last;
        Shards.Add(spec.ShardName);
    }

    /// <summary>The campaign run (null for a merge of several reports).</summary>
    public StressCampaignSpec? Spec { get; private set; }

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

    /// <summary>The totals of the seeds completed.</summary>
    public StressTotals Totals { get; } = new();

    /// <summary>Violations (entries of the report's list).</summary>
    public long ViolationCount { get; private set; }

    /// <summary>The journal (its file, when it has one, is where a killed campaign resumes from).</summary>
    public StressJournal Journal => _journal;

    /// <summary>Seeds completed.</summary>
    public ulong CompletedSeeds { get; private set; }

    /// <summary>
    /// True when seeds of the campaign are missing: of its shard's seeds for a run; for a merge, of the seeds of every shard
    /// it lists over its whole range (partial reports that together cover their campaign merge into a complete one).
    /// </summary>
    public bool Partial => CompletedSeeds < (Spec?.SeedCount ?? Shards.Aggregate(0UL, (n, s) => n + ShardSeeds(s)));

    /// <summary>The seed ranges completed, adjacent ranges joined, in seed order.</summary>
    public IReadOnlyList<SeedSpan> Completed
    {
        get
        {
            lock (_gate) return Coalesce(_completed.Select(c => c.Span));
        }
    }

    /// <summary>A new campaign whose journal is <paramref name="journalPath"/> (a temporary file when null).</summary>
    public static StressReport Begin(StressCampaignSpec spec, string? journalPath) =>
        new(StressJournal.Create(journalPath, StressJournal.Header(spec.WriteJson)), spec);

    /// <summary>A campaign built from results in memory (one record per seed): tests and small tools.</summary>
    public static StressReport Of(StressCampaignSpec spec, IEnumerable<SeedResult> results)
    {
        var report = new StressReport(StressJournal.InMemory(StressJournal.Header(spec.WriteJson)), spec);
        ulong step = (ulong)spec.ShardCount;
        foreach (var r in results)
        {
            var outcome = new RangeOutcome();
            outcome.Add(r);
            report.Accept(outcome.ToRecord(new SeedSpan(r.Seed, r.Seed, step)));
        }
        return report;
    }

    /// <summary>
    /// Takes one journal record (from this process's threads or a worker node): appends it to the journal and counts it.
    /// A record sharing a seed with one already taken is dropped whole (a range run twice, a late result).
    /// </summary>
    /// <param name="line">The record.</param>
    /// <param name="expected">The seeds the record must cover exactly (a worker's range), or null.</param>
    /// <returns>True when the record was taken.</returns>
    /// <exception cref="FormatException">The bytes are not a record, or a range lies outside the campaign or differs from <paramref name="expected"/>.</exception>
    public bool Accept(byte[] line, SeedSpan? expected = null)
    {
        var record = JournalRecord.Parse(line);
        if (expected is { } e && (record.Spans.Count != 1 || record.Spans[0] != e))
            throw new FormatException($"it covers {string.Join(", ", record.Spans)} instead of {e}");
        lock (_gate)
        {
            if (Spec?.Target is { } target)
                foreach (var s in record.Spans)
                    if (!target.Aligned(s) || s.First < target.First || s.Last > target.Last)
                        throw new FormatException($"the range {s} is not part of the campaign's seeds {target}");
            foreach (var s in record.Spans)
                if (OverlapOf(s) is not null) return false;
            long offset = _journal.Append(line);
            Count(record, offset, line.Length, "this campaign");
            return true;
        }
    }

    /// <summary>The seeds of the campaign not yet completed, as indices into its target span (empty for an empty shard).</summary>
    public IndexSet Remaining()
    {
        if (Spec?.Target is not { } target) return new IndexSet();
        var remaining = IndexSet.Of(0, target.Count);
        lock (_gate)
            foreach (var (s, _) in _completed) remaining.Remove(target.IndexOf(s.First), target.IndexOf(s.Last) + 1);
        return remaining;
    }

    /// <summary>Deletes the journal's file: the report written from it now holds everything.</summary>
    public void DiscardJournal() => _journal.Delete();

    /// <summary>Closes the journal (a temporary one is deleted; one beside a report stays for <c>--resume</c>).</summary>
    public void Dispose() => _journal.Dispose();

    // Counts a record already in the journal at offset.
    private void Count(JournalRecord record, long offset, int length, string source)
    {
        int index = _records++;
        foreach (var s in record.Spans)
        {
            _completed.Add((s, source));
            CompletedSeeds += s.Count;
        }
        if (record.Totals is { } t) Totals.Add(t);
        if (record.Violations > 0)
        {
            _withViolations.Add((offset, length, record.MinSeed));
            ViolationCount += record.Violations;
        }
        foreach (var (seed, position, json) in record.Expected)
        {
            _expected.Add((seed, index, position, json));
            _expected.Sort((a, b) => a.Seed != b.Seed ? a.Seed.CompareTo(b.Seed) : a.Record != b.Record ? a.Record.CompareTo(b.Record) : a.Position.CompareTo(b.Position));
            if (_expected.Count > ExpectedKept) _expected.RemoveAt(ExpectedKept);
        }
    }

    // The seeds of shard "i/n" over First..Last.
    private ulong ShardSeeds(string shard)
    {
        var parts = shard.Split('/');
        return int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out int i)
            && parts.Length == 2 && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out int n) && i >= 1 && i <= n
            ? new StressCampaignSpec(Guest.HandlerVariant.Linux, 1, Scenario, First, Last, i, n).SeedCount
            : 0;
    }

    private (SeedSpan Span, string Source)? OverlapOf(SeedSpan span)
    {
        foreach (var c in _completed)
            if (c.Span.Overlaps(span)) return c;
        return null;
    }

    // Joins spans of the same step and residue that follow each other; orders by first seed.
    private static List<SeedSpan> Coalesce(IEnumerable<SeedSpan> spans)
    {
        var sorted = spans.OrderBy(s => s.Step).ThenBy(s => s.First % s.Step).ThenBy(s => s.First).ToList();
        var joined = new List<SeedSpan>();
        foreach (var s in sorted)
        {
            if (joined.Count > 0 && joined[^1] is var last && last.Aligned(s) && last.Last + s.Step == s.First)
                joined[^1] = last with { Last = s.Last };
            else
                joined.Add(s);
        }
        joined.Sort((a, b) => a.First != b.First ? a.First.CompareTo(b.First) : a.Step.CompareTo(b.Step));
        return joined;
    }
}
