using System.Globalization;

namespace Smp.Host.Telemetry;

/// <summary>How much a <see cref="BootTrace"/> records.</summary>
public enum TraceDetail
{
    /// <summary>Spans only: the machine, one span per CPU, function spans, and IPI links.</summary>
    Phases,

    /// <summary>Spans plus architectural events (mode switches, table loads, IPIs, exceptions, HLT, shutdown).</summary>
    Events,

    /// <summary>Everything, including high-volume events such as every IRET.</summary>
    All,
}

/// <summary>The role of a CPU in the boot.</summary>
public enum CpuRole
{
    /// <summary>The bootstrap processor.</summary>
    Bsp,

    /// <summary>An application processor, woken by INIT/SIPI.</summary>
    Ap,
}

/// <summary>What a span stands for.</summary>
public enum TraceSpanKind
{
    /// <summary>The root span: the whole run.</summary>
    Machine,

    /// <summary>One CPU from reset or SIPI to the end of the run.</summary>
    Cpu,

    /// <summary>A watched guest function, from entry to its return.</summary>
    Function,
}

/// <summary>The shape of the simulated machine, recorded on the root span.</summary>
/// <param name="CpuCount">Logical CPUs.</param>
/// <param name="MemoryMiB">Guest RAM in MiB.</param>
/// <param name="Image">The booted image (for example <c>built-in</c> or a disk image's file name).</param>
/// <param name="Seed">The run's seed; trace and span IDs derive from it.</param>
public sealed record TraceMachine(int CpuCount, int MemoryMiB, string Image, ulong Seed);

/// <summary>An attribute: a key and a string, long, double or bool value.</summary>
/// <param name="Key">The attribute's name, for example <c>gdt.base</c>.</param>
/// <param name="Value">A <see cref="string"/>, <see cref="long"/>, <see cref="double"/> or <see cref="bool"/>.</param>
public readonly record struct TraceAttribute(string Key, object Value)
{
    /// <summary>A 64-bit value as a hexadecimal string (<c>0xffffffff81000000</c>): addresses exceed OTLP's signed integers.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Normalizes a value to one of the four supported types (ints widen to long; addresses should use <see cref="Hex"/>).</summary>
    /// <param name="value">Any value.</param>
    /// <returns>A string, long, double or bool.</returns>
    public static object Normalize(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b,
        long l => l,
        int i => (long)i,
        uint u => (long)u,
        short s16 => (long)s16,
        ushort u16 => (long)u16,
        byte b8 => (long)b8,
        sbyte s8 => (long)s8,
        ulong u64 => u64 <= long.MaxValue ? (long)u64 : Hex(u64),
        double d => d,
        float f => (double)f,
        Enum e => e.ToString(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    /// <summary>The value as display text (used by the Chrome and HTML exporters).</summary>
    /// <returns>The text.</returns>
    public string ValueText() => Value switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(Value, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}

/// <summary>A point in time on a span.</summary>
/// <param name="Name">The event's name, for example <c>lgdt</c>.</param>
/// <param name="TimeNs">Simulated nanoseconds since power-on.</param>
/// <param name="Cpu">The CPU it happened on.</param>
/// <param name="Attributes">Its attributes.</param>
public sealed record TraceEvent(string Name, long TimeNs, int Cpu, IReadOnlyList<TraceAttribute> Attributes);

/// <summary>A link from one span to another (IPIs: sender ↔ receiver).</summary>
/// <param name="Target">The linked span.</param>
/// <param name="Attributes">The link's attributes (delivery mode, vector, direction).</param>
public sealed record TraceLink(TraceSpan Target, IReadOnlyList<TraceAttribute> Attributes);

/// <summary>An inter-processor interrupt from send to receipt, for arrows and flows.</summary>
/// <param name="Id">The link id returned by <see cref="BootTrace.IpiSent"/>.</param>
/// <param name="FromCpu">The sending CPU index.</param>
/// <param name="ToCpu">The receiving CPU index.</param>
/// <param name="Mode">Delivery mode (<c>INIT</c>, <c>SIPI</c>, <c>Fixed</c>, <c>NMI</c>...).</param>
/// <param name="Vector">The vector.</param>
/// <param name="SentNs">When it was sent.</param>
/// <param name="ReceivedNs">When it was received, or null when it never arrived.</param>
/// <param name="Sender">The sender's span at the time of sending.</param>
/// <param name="Receiver">The receiver's span at receipt, or null.</param>
public sealed record TraceIpi(long Id, int FromCpu, int ToCpu, string Mode, int Vector, long SentNs, long? ReceivedNs,
    TraceSpan Sender, TraceSpan? Receiver);

/// <summary>One span of a <see cref="BootTrace"/>; times are simulated nanoseconds.</summary>
public sealed class TraceSpan
{
    private readonly List<TraceAttribute> _attributes = [];
    private readonly List<TraceEvent> _events = [];
    private readonly List<TraceLink> _links = [];

    internal TraceSpan(int sequence, ulong spanId, TraceSpan? parent, TraceSpanKind kind, string name, int cpu, long startNs, ulong entryRsp)
    {
        Sequence = sequence;
        SpanId = spanId;
        Parent = parent;
        Kind = kind;
        Name = name;
        Cpu = cpu;
        StartNs = startNs;
        EndNs = startNs;
        EntryRsp = entryRsp;
        Depth = parent is null || kind == TraceSpanKind.Cpu ? 0 : parent.Kind == TraceSpanKind.Function ? parent.Depth + 1 : 0;
    }

    /// <summary>The creation order (export order) of the span.</summary>
    public int Sequence { get; }

    /// <summary>The span ID (8 bytes), derived from the seed.</summary>
    public ulong SpanId { get; }

    /// <summary>The span ID as 16 lowercase hex digits.</summary>
    public string SpanIdHex => SpanId.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>The parent span, or null for the machine span.</summary>
    public TraceSpan? Parent { get; }

    /// <summary>What the span stands for.</summary>
    public TraceSpanKind Kind { get; }

    /// <summary>The span's name (<c>machine</c>, <c>CPU1 (AP)</c>, or a function's symbol).</summary>
    public string Name { get; }

    /// <summary>The CPU index, or -1 for the machine span.</summary>
    public int Cpu { get; }

    /// <summary>Start, in simulated nanoseconds.</summary>
    public long StartNs { get; }

    /// <summary>End, in simulated nanoseconds (valid once <see cref="IsOpen"/> is false).</summary>
    public long EndNs { get; internal set; }

    /// <summary>Whether the span has not ended yet.</summary>
    public bool IsOpen { get; internal set; } = true;

    /// <summary>For function spans: the nesting depth below the CPU span (0 = outermost function).</summary>
    public int Depth { get; }

    /// <summary>For function spans: RSP at entry (pointing at the return address).</summary>
    public ulong EntryRsp { get; }

    /// <summary>The span's attributes, in the order they were set (a key set twice keeps its first place).</summary>
    public IReadOnlyList<TraceAttribute> Attributes => _attributes;

    /// <summary>The span's events, in time order of recording.</summary>
    public IReadOnlyList<TraceEvent> Events => _events;

    /// <summary>The span's links.</summary>
    public IReadOnlyList<TraceLink> Links => _links;

    /// <summary>The value of attribute <paramref name="key"/>, or null.</summary>
    /// <param name="key">The attribute's name.</param>
    /// <returns>The value, or null.</returns>
    public object? Attribute(string key)
    {
        foreach (var attribute in _attributes)
        {
            if (attribute.Key == key)
            {
                return attribute.Value;
            }
        }

        return null;
    }

    internal void SetAttribute(string key, object? value)
    {
        var normalized = TraceAttribute.Normalize(value);
        for (var i = 0; i < _attributes.Count; i++)
        {
            if (_attributes[i].Key == key)
            {
                _attributes[i] = new TraceAttribute(key, normalized);
                return;
            }
        }

        _attributes.Add(new TraceAttribute(key, normalized));
    }

    internal void AddEvent(TraceEvent traceEvent) => _events.Add(traceEvent);

    internal void AddLink(TraceLink link) => _links.Add(link);

    /// <inheritdoc />
    public override string ToString() => $"{Name} [{StartNs}..{EndNs}] on CPU{Cpu}";
}
