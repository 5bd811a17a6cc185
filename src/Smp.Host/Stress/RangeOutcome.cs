using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Smp.Host.Stress;

/// <summary>
/// What the seeds of one range did, gathered seed by seed as they run and then written as one journal record
/// (<see cref="ToRecord"/>): the totals, every violation with its oops, and the first expected outcomes. Nothing of a
/// seed is kept once it is counted except its violations' and first expected outcomes' JSON.
/// </summary>
internal sealed class RangeOutcome
{
    private readonly ArrayBufferWriter<byte> _violations = new(), _expected = new();
    private readonly Utf8JsonWriter _violationWriter, _expectedWriter;
    private int _expectedKept;

    /// <summary>An empty outcome.</summary>
    public RangeOutcome()
    {
        _violationWriter = new Utf8JsonWriter(_violations);
        _expectedWriter = new Utf8JsonWriter(_expected);
        _violationWriter.WriteStartArray();
        _expectedWriter.WriteStartArray();
    }

    /// <summary>The totals so far.</summary>
    public StressTotals Totals { get; } = new();

    /// <summary>Counts one seed and keeps its findings' JSON.</summary>
    public void Add(SeedResult s)
    {
        Totals.Add(s);
        foreach (var v in s.Violations) WriteFinding(_violationWriter, v, s);
        foreach (var e in s.Expected)
        {
            if (_expectedKept == StressReport.ExpectedKept) break;
            WriteFinding(_expectedWriter, e, s);
            _expectedKept++;
        }
    }

    /// <summary>
    /// The journal record of the seeds counted, which are <paramref name="span"/>: one line of JSON,
    /// <c>{"spans":[…],"totals":{…},"violations":[…],"expected":[…]}</c>.
    /// </summary>
    public byte[] ToRecord(SeedSpan span)
    {
        _violationWriter.WriteEndArray();
        _expectedWriter.WriteEndArray();
        _violationWriter.Flush();
        _expectedWriter.Flush();
        var buffer = new ArrayBufferWriter<byte>(_violations.WrittenCount + _expected.WrittenCount + 1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("spans");
            span.WriteJson(w);
            w.WriteEndArray();
            w.WriteStartObject("totals");
            Totals.WriteMembers(w);
            w.WriteEndObject();
            w.WritePropertyName("violations");
            w.WriteRawValue(_violations.WrittenSpan, skipInputValidation: true);
            w.WritePropertyName("expected");
            w.WriteRawValue(_expected.WrittenSpan, skipInputValidation: true);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One finding as the report lists it (seed, scenario, plan, kind, cpu, vector, ist, rip, details, oops, console).</summary>
    private static void WriteFinding(Utf8JsonWriter w, StressFinding f, SeedResult s)
    {
        w.WriteStartObject();
        w.WriteNumber("seed", f.Seed);
        w.WriteString("scenario", f.Scenario);
        w.WriteString("plan", s.Plan);
        w.WriteString("kind", f.Kind.ToString());
        w.WriteNumber("cpu", f.Cpu);
        w.WriteNumber("vector", f.Vector);
        w.WriteNumber("ist", f.Ist);
        w.WriteString("rip", string.Create(CultureInfo.InvariantCulture, $"0x{f.Rip:x}"));
        w.WriteString("details", f.Details);
        w.WriteString("oops", f.Oops);
        w.WriteString("console", s.Console);
        w.WriteEndObject();
    }
}
