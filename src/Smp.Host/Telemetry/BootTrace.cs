using System.Globalization;
using Smp.Devices.Cpu;

namespace Smp.Host.Telemetry;

/// <summary>
/// Records one run as a trace in simulated time: a machine span, one span per CPU, nested function
/// spans, events on each CPU's innermost open span, and IPI links between CPUs. Plain C#, single
/// threaded (the integrator calls it from the simulation's deterministic order), deterministic:
/// span and trace IDs derive from the seed and a counter. Exporters read the model after <see cref="End"/>.
/// </summary>
/// <remarks>
/// Cost control: keep a <c>BootTrace?</c> and test it for null when no exporter is on; with a trace,
/// events below <see cref="Detail"/> are dropped at the first test of every method.
/// </remarks>
public sealed class BootTrace
{
    /// <summary>The fixed epoch simulated time counts from: 2000-01-01T00:00:00Z, in Unix nanoseconds.</summary>
    public const long EpochUnixNanos = 946_684_800L * 1_000_000_000L;

    private readonly List<TraceSpan> _spans = [];
    private readonly List<TraceIpi> _ipis = [];
    private readonly Dictionary<long, int> _pendingIpis = []; // link id → index in _ipis
    private readonly List<CpuState?> _cpus = [];
    private long _nextLinkId = 1;
    private int _sequence;

    /// <summary>Starts a trace of a run of <paramref name="machine"/> at simulated time 0.</summary>
    /// <param name="machine">The machine's shape and seed.</param>
    /// <param name="detail">How much to record.</param>
    public BootTrace(TraceMachine machine, TraceDetail detail = TraceDetail.Events)
    {
        ArgumentNullException.ThrowIfNull(machine);
        Machine = machine;
        Detail = detail;
        TraceIdHigh = TraceIds.Derive(machine.Seed, ulong.MaxValue);
        TraceIdLow = TraceIds.Derive(machine.Seed, ulong.MaxValue - 1);
        Root = NewSpan(null, TraceSpanKind.Machine, "machine", -1, 0, 0);
        Root.SetAttribute("machine.cpus", machine.CpuCount);
        Root.SetAttribute("machine.memory_mib", machine.MemoryMiB);
        Root.SetAttribute("machine.image", machine.Image);
        Root.SetAttribute("machine.seed", machine.Seed.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The default of <see cref="EventLimit"/>.</summary>
    public const int DefaultEventLimit = 5000;

    /// <summary>The machine's shape and seed.</summary>
    public TraceMachine Machine { get; }

    /// <summary>
    /// How many events of one name (<c>interrupt</c>, <c>hlt</c>, <c>msr.write</c>, <c>ipi.sent</c>...) each CPU
    /// keeps: a long run repeats a few kinds (timer ticks, idle halts, deadline writes) without end, and keeping every
    /// one would grow the trace without bound. Later ones are counted in <see cref="DroppedEvents"/> and the CPU span's
    /// <c>cpu.events_dropped</c> attribute; rare events (mode switches, INIT, SIPI) are never reached by the limit.
    /// </summary>
    public int EventLimit { get; init; } = DefaultEventLimit;

    /// <summary>Events not recorded because their CPU had reached <see cref="EventLimit"/> for their name.</summary>
    public long DroppedEvents { get; private set; }

    /// <summary>How much is recorded.</summary>
    public TraceDetail Detail { get; }

    /// <summary>Whether events are recorded (<see cref="TraceDetail.Events"/> or more).</summary>
    public bool RecordsEvents => Detail >= TraceDetail.Events;

    /// <summary>Whether high-volume events (every IRET) are recorded.</summary>
    public bool RecordsAll => Detail >= TraceDetail.All;

    /// <summary>The high 8 bytes of the trace ID.</summary>
    public ulong TraceIdHigh { get; }

    /// <summary>The low 8 bytes of the trace ID.</summary>
    public ulong TraceIdLow { get; }

    /// <summary>The trace ID as 32 lowercase hex digits.</summary>
    public string TraceIdHex => TraceIdHigh.ToString("x16", CultureInfo.InvariantCulture) + TraceIdLow.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>The machine (root) span.</summary>
    public TraceSpan Root { get; }

    /// <summary>Every span, in creation order (parents before children): the export order.</summary>
    public IReadOnlyList<TraceSpan> Spans => _spans;

    /// <summary>Every IPI sent, in sending order.</summary>
    public IReadOnlyList<TraceIpi> Ipis => _ipis;

    /// <summary>
    /// While true, events (mode changes, table loads, MSR writes, exceptions, IPIs…) are not recorded; spans still open
    /// and close, so the timeline stays whole. gdb's <c>monitor trace off</c> sets it.
    /// </summary>
    public bool EventsPaused { get; set; }

    /// <summary>Whether <see cref="End"/> was called.</summary>
    public bool Ended { get; private set; }

    /// <summary>Function returns that matched no open span (a watched symbol entered before tracing, or a missed entry).</summary>
    public int UnmatchedReturns { get; private set; }

    /// <summary>Simulated nanoseconds of the end of the run (after <see cref="End"/>).</summary>
    public long EndNs => Root.EndNs;

    /// <summary>The span of CPU <paramref name="cpu"/>, or null if it has not started.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <returns>The span or null.</returns>
    public TraceSpan? CpuSpan(int cpu) => cpu >= 0 && cpu < _cpus.Count ? _cpus[cpu]?.Span : null;

    /// <summary>The innermost open span of CPU <paramref name="cpu"/> (a function or the CPU span), or null.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <returns>The span or null.</returns>
    public TraceSpan? CurrentSpan(int cpu)
    {
        var state = cpu >= 0 && cpu < _cpus.Count ? _cpus[cpu] : null;
        return state is null ? null : state.Stack.Count > 0 ? state.Stack[^1] : state.Span;
    }

    /// <summary>Opens CPU <paramref name="cpu"/>'s span: at reset for the BSP, at INIT/SIPI for an AP.</summary>
    /// <param name="cpu">The CPU index (0 = first CPU).</param>
    /// <param name="apicId">Its local APIC ID.</param>
    /// <param name="role">BSP or AP.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <param name="reason">Why it starts: <c>reset</c>, <c>INIT</c>, <c>SIPI</c>.</param>
    /// <returns>The CPU's span (the existing one if it had started already).</returns>
    public TraceSpan CpuStarted(int cpu, int apicId, CpuRole role, long timeNs, string reason = "reset")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        while (_cpus.Count <= cpu)
        {
            _cpus.Add(null);
        }

        if (_cpus[cpu] is { } existing)
        {
            return existing.Span;
        }

        var roleText = role == CpuRole.Bsp ? "BSP" : "AP";
        var span = NewSpan(Root, TraceSpanKind.Cpu, $"CPU{cpu} ({roleText})", cpu, timeNs, 0);
        span.SetAttribute("cpu.index", cpu);
        span.SetAttribute("cpu.apic_id", apicId);
        span.SetAttribute("cpu.role", roleText);
        span.SetAttribute("cpu.start_reason", reason);
        _cpus[cpu] = new CpuState(span, cpu);
        return span;
    }

    /// <summary>A watched symbol was entered on <paramref name="cpu"/>: opens a function span under its innermost span.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="symbol">The symbol.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <param name="rsp">RSP at entry (pointing at the return address), used by <see cref="StackUnwound"/>.</param>
    /// <returns>The new span.</returns>
    public TraceSpan FunctionEntered(int cpu, string symbol, long timeNs, ulong rsp)
    {
        var state = State(cpu, timeNs);
        var parent = state.Stack.Count > 0 ? state.Stack[^1] : state.Span;
        var span = NewSpan(parent, TraceSpanKind.Function, symbol, cpu, timeNs, rsp);
        span.SetAttribute("code.function", symbol);
        span.SetAttribute("cpu.index", cpu);
        state.Stack.Add(span);
        return span;
    }

    /// <summary>
    /// <paramref name="symbol"/> returned on <paramref name="cpu"/>: closes its innermost open span and any
    /// spans opened inside it that did not return (tail calls, stack switches). A return matching no open
    /// span is counted in <see cref="UnmatchedReturns"/> and otherwise ignored.
    /// </summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="symbol">The symbol.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void FunctionReturned(int cpu, string symbol, long timeNs)
    {
        var state = State(cpu, timeNs);
        for (var i = state.Stack.Count - 1; i >= 0; i--)
        {
            if (state.Stack[i].Name == symbol)
            {
                PopTo(state, i, timeNs);
                return;
            }
        }

        UnmatchedReturns++;
    }

    /// <summary>
    /// RSP on <paramref name="cpu"/> rose to <paramref name="rsp"/> by a RET (or a stack switch back): closes every
    /// open function span whose entry RSP is below it (its frame is gone). An alternative to
    /// <see cref="FunctionReturned"/> for integrators that watch RETs rather than symbols.
    /// </summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="rsp">RSP after the return.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void StackUnwound(int cpu, ulong rsp, long timeNs)
    {
        var state = State(cpu, timeNs);
        var keep = state.Stack.Count;
        while (keep > 0 && state.Stack[keep - 1].EntryRsp < rsp)
        {
            keep--;
        }

        if (keep < state.Stack.Count)
        {
            PopTo(state, keep, timeNs);
        }
    }

    /// <summary>Adds an event on <paramref name="cpu"/>'s innermost open span (dropped below <paramref name="level"/>).</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="name">The event's name.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <param name="attributes">Attributes (values normalized as <see cref="TraceAttribute.Normalize"/>), or null.</param>
    /// <param name="level">The least detail at which it is recorded: <see cref="TraceDetail.Events"/> or <see cref="TraceDetail.All"/>.</param>
    public void AddEvent(int cpu, string name, long timeNs, IEnumerable<KeyValuePair<string, object?>>? attributes = null,
        TraceDetail level = TraceDetail.Events)
    {
        if (Detail < level || Detail == TraceDetail.Phases)
        {
            return;
        }

        var list = new List<TraceAttribute>();
        if (attributes is not null)
        {
            foreach (var (key, value) in attributes)
            {
                list.Add(new TraceAttribute(key, TraceAttribute.Normalize(value)));
            }
        }

        AddEventCore(cpu, name, timeNs, list);
    }

    /// <summary>The operating mode changed (real → protected → long), with the control registers.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="from">The old mode.</param>
    /// <param name="to">The new mode.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <param name="cr0">CR0.</param>
    /// <param name="cr4">CR4.</param>
    /// <param name="efer">IA32_EFER.</param>
    public void ModeChanged(int cpu, string from, string to, long timeNs, ulong cr0, ulong cr4, ulong efer)
    {
        if (!RecordsEvents)
        {
            return;
        }

        AddEventCore(cpu, "mode.change", timeNs,
        [
            new("mode.from", from), new("mode.to", to),
            new("cr0", TraceAttribute.Hex(cr0)), new("cr4", TraceAttribute.Hex(cr4)), new("efer", TraceAttribute.Hex(efer)),
        ]);
    }

    /// <summary>
    /// LGDT/LIDT/LLDT/LTR loaded a table. For LTR pass the IST1–IST7 values read from the TSS in
    /// <paramref name="ist"/>; the last GDT, TSS and IST values also become the CPU span's final attributes.
    /// </summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="table">Which table.</param>
    /// <param name="baseAddress">Its base.</param>
    /// <param name="limit">Its limit.</param>
    /// <param name="selector">For LLDT/LTR, the selector.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <param name="ist">For LTR: IST1..IST7 (7 values), or null.</param>
    public void DescriptorTableLoaded(int cpu, DescriptorTable table, ulong baseAddress, uint limit, ushort selector, long timeNs,
        IReadOnlyList<ulong>? ist = null)
    {
        var state = State(cpu, timeNs);
        switch (table)
        {
            case DescriptorTable.Gdt:
                state.Span.SetAttribute("gdt.base", TraceAttribute.Hex(baseAddress));
                state.Span.SetAttribute("gdt.limit", TraceAttribute.Hex(limit));
                break;
            case DescriptorTable.Idt:
                state.Span.SetAttribute("idt.base", TraceAttribute.Hex(baseAddress));
                state.Span.SetAttribute("idt.limit", TraceAttribute.Hex(limit));
                break;
            case DescriptorTable.Tr:
                state.Span.SetAttribute("tss.base", TraceAttribute.Hex(baseAddress));
                if (ist is not null)
                {
                    for (var i = 0; i < ist.Count && i < 7; i++)
                    {
                        state.Span.SetAttribute($"ist.{i + 1}", TraceAttribute.Hex(ist[i]));
                    }
                }

                break;
        }

        if (!RecordsEvents)
        {
            return;
        }

        var name = table switch
        {
            DescriptorTable.Gdt => "lgdt",
            DescriptorTable.Idt => "lidt",
            DescriptorTable.Ldt => "lldt",
            _ => "ltr",
        };
        var attributes = new List<TraceAttribute> { new("table.base", TraceAttribute.Hex(baseAddress)), new("table.limit", TraceAttribute.Hex(limit)) };
        if (table is DescriptorTable.Ldt or DescriptorTable.Tr)
        {
            attributes.Add(new("table.selector", TraceAttribute.Hex(selector)));
        }

        if (table == DescriptorTable.Tr && ist is not null)
        {
            for (var i = 0; i < ist.Count && i < 7; i++)
            {
                attributes.Add(new($"ist.{i + 1}", TraceAttribute.Hex(ist[i])));
            }
        }

        AddEventCore(cpu, name, timeNs, attributes);
    }

    /// <summary>WRMSR; writes to IA32_GS_BASE (0xC0000101) and IA32_KERNEL_GS_BASE (0xC0000102) are named and kept as final attributes.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="msr">The MSR index.</param>
    /// <param name="value">The value written.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void MsrWritten(int cpu, uint msr, ulong value, long timeNs)
    {
        var name = msr switch
        {
            0xC000_0101 => "gs.base",
            0xC000_0102 => "kernel_gs.base",
            0xC000_0100 => "fs.base",
            _ => null,
        };
        if (name is not null)
        {
            State(cpu, timeNs).Span.SetAttribute(name, TraceAttribute.Hex(value));
        }

        if (!RecordsEvents || (name is null && !RecordsAll))
        {
            return;
        }

        AddEventCore(cpu, "wrmsr", timeNs,
            [new("msr", TraceAttribute.Hex(msr)), new("msr.name", name ?? "other"), new("msr.value", TraceAttribute.Hex(value))]);
    }

    /// <summary>SWAPGS; <paramref name="gsBase"/> is the new GS base.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="gsBase">The new GS base.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void SwapGs(int cpu, ulong gsBase, long timeNs)
    {
        State(cpu, timeNs).Span.SetAttribute("gs.base", TraceAttribute.Hex(gsBase));
        if (RecordsEvents)
        {
            AddEventCore(cpu, "swapgs", timeNs, [new("gs.base", TraceAttribute.Hex(gsBase))]);
        }
    }

    /// <summary>An exception or interrupt was delivered (from <see cref="CpuObserver.EventDelivered"/>).</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="delivery">What was delivered.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void EventDelivered(int cpu, in EventDelivery delivery, long timeNs)
    {
        if (!RecordsEvents)
        {
            return;
        }

        var attributes = new List<TraceAttribute>
        {
            new("vector", (long)delivery.Vector),
            new("kind", delivery.Kind.ToString()),
            new("error_code", delivery.ErrorCode is { } code ? TraceAttribute.Hex(code) : "none"),
            new("ist", (long)delivery.Ist),
            new("rip.from", TraceAttribute.Hex(delivery.FromRip)),
            new("rip.to", TraceAttribute.Hex(delivery.ToRip)),
            new("rsp.before", TraceAttribute.Hex(delivery.RspBefore)),
            new("rsp.after", TraceAttribute.Hex(delivery.RspAfter)),
            new("depth", (long)delivery.Depth),
        };
        AddEventCore(cpu, delivery.Kind switch
        {
            EventKind.Nmi => "nmi",
            EventKind.ExternalInterrupt => "interrupt",
            _ => "exception",
        }, timeNs, attributes);
    }

    /// <summary>IRET (recorded at <see cref="TraceDetail.All"/> only).</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="fromRip">The IRET's address.</param>
    /// <param name="toRip">Where it returned to.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void Iret(int cpu, ulong fromRip, ulong toRip, long timeNs)
    {
        if (RecordsAll)
        {
            AddEventCore(cpu, "iret", timeNs, [new("rip.from", TraceAttribute.Hex(fromRip)), new("rip.to", TraceAttribute.Hex(toRip))]);
        }
    }

    /// <summary>HLT stopped the CPU.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void Halted(int cpu, long timeNs)
    {
        if (RecordsEvents)
        {
            AddEventCore(cpu, "hlt", timeNs, []);
        }
    }

    /// <summary>The CPU entered the shutdown state (triple fault); also kept as the CPU span's <c>cpu.shutdown</c> attribute.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="reason">Why.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void Shutdown(int cpu, string reason, long timeNs)
    {
        State(cpu, timeNs).Span.SetAttribute("cpu.shutdown", reason);
        if (RecordsEvents)
        {
            AddEventCore(cpu, "shutdown", timeNs, [new("reason", reason)]);
        }
    }

    /// <summary>The CPU accepted INIT (it enters wait-for-SIPI).</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void InitAccepted(int cpu, long timeNs)
    {
        if (RecordsEvents)
        {
            AddEventCore(cpu, "init.accepted", timeNs, []);
        }
    }

    /// <summary>The CPU accepted a SIPI and starts in real mode at <paramref name="vector"/> × 4096.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="vector">The SIPI vector.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void SipiAccepted(int cpu, int vector, long timeNs)
    {
        var state = State(cpu, timeNs);
        state.Span.SetAttribute("sipi.start", TraceAttribute.Hex((ulong)vector << 12));
        if (RecordsEvents)
        {
            AddEventCore(cpu, "sipi.accepted", timeNs, [new("sipi.vector", TraceAttribute.Hex((ulong)vector)), new("sipi.start", TraceAttribute.Hex((ulong)vector << 12))]);
        }
    }

    /// <summary>
    /// <paramref name="fromCpu"/> sent an IPI to <paramref name="toCpu"/>. Returns the link id to pass to
    /// <see cref="IpiReceived"/>: at receipt the sender's span (current now) and the receiver's span link to each other.
    /// </summary>
    /// <param name="fromCpu">The sending CPU index.</param>
    /// <param name="toCpu">The destination CPU index.</param>
    /// <param name="mode">Delivery mode: <c>INIT</c>, <c>SIPI</c>, <c>Fixed</c>, <c>NMI</c>...</param>
    /// <param name="vector">The vector (the SIPI page number for SIPI, 0 for INIT).</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <returns>The link id (positive).</returns>
    public long IpiSent(int fromCpu, int toCpu, string mode, int vector, long timeNs)
    {
        var state = State(fromCpu, timeNs);
        if (!Admit(state, "ipi.sent"))
        {
            return 0; // past the limit: neither the IPI nor its links are kept (IpiReceived ignores id 0)
        }

        var sender = state.Stack.Count > 0 ? state.Stack[^1] : state.Span;
        var id = _nextLinkId++;
        var ipi = new TraceIpi(id, fromCpu, toCpu, mode, vector, timeNs, null, sender, null);
        _pendingIpis[id] = _ipis.Count;
        _ipis.Add(ipi);
        if (RecordsEvents)
        {
            AddRecorded(state, "ipi.sent", timeNs, IpiAttributes(ipi));
        }

        return id;
    }

    /// <summary>
    /// The IPI <paramref name="linkId"/> reached <paramref name="toCpu"/>. Starts the receiver's CPU span if
    /// it has not started (an AP woken by INIT), records an <c>ipi.received</c> event, and links the sender's
    /// span to the receiver's innermost span and back. An unknown or already received id is ignored.
    /// </summary>
    /// <param name="toCpu">The receiving CPU index.</param>
    /// <param name="linkId">The id <see cref="IpiSent"/> returned.</param>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    public void IpiReceived(int toCpu, long linkId, long timeNs)
    {
        if (!_pendingIpis.Remove(linkId, out int index))
        {
            return;
        }

        var ipi = _ipis[index];
        var state = State(toCpu, timeNs, ipi.Mode);
        var receiver = state.Stack.Count > 0 ? state.Stack[^1] : state.Span;
        var received = ipi with { ReceivedNs = timeNs, Receiver = receiver, ToCpu = toCpu };
        _ipis[index] = received;
        var common = IpiAttributes(received);
        ipi.Sender.AddLink(new TraceLink(receiver, [.. common, new("link.direction", "to-receiver")]));
        receiver.AddLink(new TraceLink(ipi.Sender, [.. common, new("link.direction", "from-sender")]));
        if (RecordsEvents)
        {
            AddEventCore(toCpu, "ipi.received", timeNs, common);
        }
    }

    /// <summary>Sets final attributes on CPU <paramref name="cpu"/>'s span (for example <c>gdt.base</c>, <c>gs.base</c>, <c>ist.1</c>).</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="attributes">The attributes; ulong values above <see cref="long.MaxValue"/> become hex strings.</param>
    public void SetCpuAttributes(int cpu, IEnumerable<KeyValuePair<string, object?>> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var span = State(cpu, Root.EndNs).Span;
        foreach (var (key, value) in attributes)
        {
            span.SetAttribute(key, value);
        }
    }

    /// <summary>Sets an attribute on the machine span.</summary>
    /// <param name="key">The attribute's name.</param>
    /// <param name="value">Its value.</param>
    public void SetMachineAttribute(string key, object? value) => Root.SetAttribute(key, value);

    /// <summary>Ends the run: closes every open function span (symbols that never return), CPU span and the machine span.</summary>
    /// <param name="timeNs">Simulated nanoseconds at the end of the run.</param>
    /// <param name="wallClock">The run's wall-clock duration (an attribute only, never a timestamp).</param>
    public void End(long timeNs, TimeSpan wallClock)
    {
        if (Ended)
        {
            return;
        }

        foreach (var state in _cpus)
        {
            if (state is null)
            {
                continue;
            }

            PopTo(state, 0, timeNs);
            if (state.Dropped > 0)
            {
                state.Span.SetAttribute("cpu.events_dropped", state.Dropped);
            }

            Close(state.Span, timeNs);
        }

        if (DroppedEvents > 0)
        {
            Root.SetAttribute("trace.events_dropped", DroppedEvents);
            Root.SetAttribute("trace.event_limit", EventLimit);
        }

        Root.SetAttribute("run.wall_clock_ms", Math.Round(wallClock.TotalMilliseconds, 3));
        Root.SetAttribute("run.simulated_ns", timeNs);
        Close(Root, timeNs);
        Ended = true;
    }

    /// <summary>Unix nanoseconds of simulated time <paramref name="timeNs"/>: the fixed epoch plus it.</summary>
    /// <param name="timeNs">Simulated nanoseconds.</param>
    /// <returns>Unix nanoseconds.</returns>
    public static long ToUnixNanos(long timeNs) => EpochUnixNanos + timeNs;

    private static List<TraceAttribute> IpiAttributes(TraceIpi ipi) =>
    [
        new("ipi.id", ipi.Id),
        new("ipi.mode", ipi.Mode),
        new("ipi.vector", TraceAttribute.Hex((ulong)ipi.Vector)),
        new("ipi.source_cpu", (long)ipi.FromCpu),
        new("ipi.destination_cpu", (long)ipi.ToCpu),
    ];

    private TraceSpan NewSpan(TraceSpan? parent, TraceSpanKind kind, string name, int cpu, long startNs, ulong rsp)
    {
        var sequence = _sequence++;
        var span = new TraceSpan(sequence, TraceIds.Derive(Machine.Seed, (ulong)sequence), parent, kind, name, cpu, startNs, rsp);
        _spans.Add(span);
        return span;
    }

    private void AddEventCore(int cpu, string name, long timeNs, List<TraceAttribute> attributes)
    {
        if (EventsPaused)
        {
            return;
        }

        var state = State(cpu, timeNs);
        if (Admit(state, name))
        {
            AddRecorded(state, name, timeNs, attributes);
        }
    }

    private static void AddRecorded(CpuState state, string name, long timeNs, List<TraceAttribute> attributes)
    {
        var span = state.Stack.Count > 0 ? state.Stack[^1] : state.Span;
        span.AddEvent(new TraceEvent(name, timeNs, state.Cpu, attributes));
    }

    // Counts one event of `name` on the CPU; false (and counted as dropped) past EventLimit.
    private bool Admit(CpuState state, string name)
    {
        ref int count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(state.EventCounts, name, out _);
        if (count < EventLimit)
        {
            count++;
            return true;
        }

        state.Dropped++;
        DroppedEvents++;
        return false;
    }

    private CpuState State(int cpu, long timeNs, string reason = "first activity")
    {
        if (cpu >= 0 && cpu < _cpus.Count && _cpus[cpu] is { } state)
        {
            return state;
        }

        CpuStarted(cpu, cpu, cpu == 0 ? CpuRole.Bsp : CpuRole.Ap, timeNs, reason);
        return _cpus[cpu]!;
    }

    private void PopTo(CpuState state, int keep, long timeNs)
    {
        for (var i = state.Stack.Count - 1; i >= keep; i--)
        {
            Close(state.Stack[i], timeNs);
        }

        state.Stack.RemoveRange(keep, state.Stack.Count - keep);
    }

    private static void Close(TraceSpan span, long timeNs)
    {
        if (span.IsOpen)
        {
            span.EndNs = Math.Max(timeNs, span.StartNs);
            span.IsOpen = false;
        }
    }

    private sealed class CpuState(TraceSpan span, int cpu)
    {
        public TraceSpan Span { get; } = span;

        public int Cpu { get; } = cpu;

        public List<TraceSpan> Stack { get; } = [];

        public Dictionary<string, int> EventCounts { get; } = [];

        public long Dropped { get; set; }
    }
}

/// <summary>Deterministic IDs: a counter mixed with the seed (SplitMix64's finalizer), never zero.</summary>
internal static class TraceIds
{
    public static ulong Derive(ulong seed, ulong counter)
    {
        var z = seed + 0x9E37_79B9_7F4A_7C15UL * (counter + 1);
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        z ^= z >> 31;
        return z == 0 ? 1 : z;
    }
}
