using Smp.Devices.Cpu;

namespace Smp.Host.Stress;

/// <summary>
/// Watches deliveries and IRETs on IA-32e CPUs and keeps, per CPU, the frames that are live
/// (delivered, not yet returned from). It reports: an <b>IST clobber</b> when a delivery through IST n
/// (which reloads RSP from TSS.IST[n] unconditionally, SDM Vol. 3A §6.14.5) pushes its frame over a
/// live frame; a <b>handler re-entered</b> when a vector is delivered again on the same stack while its
/// previous frame is live (nesting on another stack — another IST slot or a shifted IST top — is
/// legal); a <b>stack guard hit</b>; every <b>#DF</b>; <b>shutdown</b>; and, on request, NMIs
/// <b>lost or doubled by software</b> against a guest counter (<see cref="ExpectCounter"/>).
/// </summary>
/// <remarks>
/// Frames are retired on IRET: the innermost live frame (the one IRET returned from) and then every
/// live frame on the same stack lying wholly below the RSP IRET loaded (frames abandoned by the
/// handler). NMIs collapsed by hardware while blocked are never delivered, so they are not counted.
/// Attach with <see cref="CompositeCpuObserver.Attach"/> to share CPUs with telemetry.
/// </remarks>
public sealed class IstMonitor : CpuObserver
{
    private const ulong FrameBytes = 40, FrameBytesWithError = 48;
    private readonly Dictionary<int, List<LiveFrame>> _live = [];
    private readonly Dictionary<int, long> _nmis = [];
    private readonly List<(ulong Start, ulong End)> _guards = [];
    private readonly List<StressViolation> _violations = [];

    /// <summary>Everything found so far, in order.</summary>
    public IReadOnlyList<StressViolation> Violations => _violations;

    /// <summary>
    /// Raised as a violation is found, while the CPU and memory are still as they were: the place to
    /// write an oops (<see cref="Oops"/>).
    /// </summary>
    public event Action<CpuCore, StressViolation>? Detected;

    /// <summary>Deliveries seen, per nesting depth reached (index = depth, capped at 15).</summary>
    public long[] DeliveriesByDepth { get; } = new long[16];

    /// <summary>Declares [<paramref name="start"/>, <paramref name="end"/>) (linear) a stack guard: no frame may be pushed there.</summary>
    public void AddGuardRange(ulong start, ulong end) => _guards.Add((start, end));

    /// <summary>The live frames of CPU <paramref name="apicId"/>, outermost first.</summary>
    public IReadOnlyList<LiveFrame> LiveFrames(int apicId) => _live.TryGetValue(apicId, out var l) ? l : [];

    /// <summary>NMIs the hardware delivered to CPU <paramref name="apicId"/> (collapsed NMIs excluded).</summary>
    public long NmisDelivered(int apicId) => _nmis.GetValueOrDefault(apicId);

    /// <summary>
    /// The guest contract for NMIs: the NMI handler increments a 64-bit counter at physical address
    /// <paramref name="address"/> once per NMI. Compares it with <paramref name="expected"/> (pass
    /// <see cref="NmisDelivered"/> for "one per delivered NMI"); records and returns
    /// <see cref="StressViolationKind.NmiLost"/> when it is lower, <see cref="StressViolationKind.NmiDoubled"/>
    /// when higher, or null when equal. Call it after the run, when the handlers have finished.
    /// </summary>
    public StressViolation? ExpectCounter(CpuCore cpu, ulong address, long expected)
    {
        long actual = (long)cpu.Memory.Read(address, 8);
        if (actual == expected) return null;
        var kind = actual < expected ? StressViolationKind.NmiLost : StressViolationKind.NmiDoubled;
        return Report(cpu, new StressViolation(kind, cpu.ApicId, cpu.SimulatedNanoseconds, Vector.NMI, 0, cpu.Rip,
            $"NMI counter at 0x{address:x} is {actual}, expected {expected} ({NmisDelivered(cpu.ApicId)} delivered by hardware)"));
    }

    /// <summary>Forgets every live frame, count and violation (e.g. after restoring a snapshot for the next scenario).</summary>
    public void Clear()
    {
        _live.Clear();
        _nmis.Clear();
        _violations.Clear();
        Array.Clear(DeliveriesByDepth);
    }

    /// <inheritdoc />
    public override void EventDelivered(CpuCore cpu, in EventDelivery d)
    {
        if (!_live.TryGetValue(cpu.ApicId, out var live)) _live[cpu.ApicId] = live = [];
        ulong size = d.ErrorCode.HasValue ? FrameBytesWithError : FrameBytes;
        ulong start = d.RspAfter, end = d.RspAfter + size;
        var view = new GuestMemoryView(cpu);
        var frame = new LiveFrame(d.Vector, d.Ist, start, end, d.Ist != 0 ? end : 0, d.FromRip, d.RspBefore,
            cpu.SimulatedNanoseconds, cpu.InstructionsRetired, d.Depth) { Words = d.Ist != 0 ? ReadWords(view, end - 40) : null };
        DeliveriesByDepth[Math.Min(d.Depth, DeliveriesByDepth.Length - 1)]++;
        if (d.Kind == EventKind.Nmi) _nmis[cpu.ApicId] = NmisDelivered(cpu.ApicId) + 1;
        string name = Vector.Name(d.Vector);

        if (d.Vector == Vector.DF)
            Report(cpu, d, StressViolationKind.DoubleFault, $"double fault (#DF) on IST{d.Ist}, interrupted RSP 0x{d.RspBefore:x}");

        foreach (var (gs, ge) in _guards)
        {
            // The frame itself, or (for a #DF) the interrupted RSP whose push failed, lies in the guard.
            bool hit = start < ge && gs < end || (d.Vector == Vector.DF && d.RspBefore > gs && d.RspBefore - 64 < ge);
            if (hit) { Report(cpu, d, StressViolationKind.StackGuardHit, $"{name} frame at 0x{start:x} hits stack guard [0x{gs:x}, 0x{ge:x})"); break; }
        }

        LiveFrame? clobbered = null;
        int overlapping = 0;
        bool relocated = false;
        if (d.Ist != 0)
            foreach (var f in live)
            {
                if (!f.Overlaps(start, end)) continue;
                if (TrustCopiedFrames && IsCopiedBelow(view, f)) { f.Relocated = relocated = true; continue; }
                overlapping++;
                clobbered ??= f;
                f.Clobbered = true;
            }
        if (clobbered != null)
            Report(cpu, d, StressViolationKind.IstClobber,
                $"{name} on IST{d.Ist} over live {Vector.Name(clobbered.Vector)} frame" + (overlapping > 1 ? $" (+{overlapping - 1} more)" : ""));
        else if (!relocated)
        {
            foreach (var f in live)
            {
                bool sameStack = f.Ist == d.Ist && f.StackTop == frame.StackTop;
                if (f.Vector == d.Vector && sameStack)
                {
                    Report(cpu, d, StressViolationKind.HandlerReentered,
                        $"{name} handler re-entered on {(d.Ist == 0 ? "its stack" : $"IST{d.Ist}")} while its frame at 0x{f.Start:x} is live");
                    break;
                }
            }
        }
        live.Add(frame);
    }

    /// <summary>
    /// When true (the default), a live IST frame that the guest has copied word for word to the 512
    /// bytes below it on the same stack is not reported when a nested delivery overwrites it, nor is
    /// the nesting a re-entry: the handler manages nesting in software (Linux's nested-NMI scheme
    /// keeps an "outermost" copy and returns through a copy, never through the hardware frame).
    /// </summary>
    public bool TrustCopiedFrames { get; set; } = true;

    private static ulong[]? ReadWords(GuestMemoryView view, ulong at)
    {
        var w = new ulong[5];
        for (int i = 0; i < 5; i++)
            if (!view.TryRead64(at + (ulong)(i * 8), out w[i])) return null;
        return w;
    }

    private static bool IsCopiedBelow(GuestMemoryView view, LiveFrame f)
    {
        if (f.Words is not { } words) return false;
        ulong rip = f.End - 40;
        for (ulong at = rip - 40; at + 512 >= rip && at != 0; at -= 8)
        {
            int i = 0;
            while (i < 5 && view.TryRead64(at + (ulong)(i * 8), out ulong v) && v == words[i]) i++;
            if (i == 5) return true;
        }
        return false;
    }

    /// <inheritdoc />
    public override void Iret(CpuCore cpu, ulong fromRip, ulong toRip)
    {
        if (!_live.TryGetValue(cpu.ApicId, out var live) || live.Count == 0) return;
        var inner = live[^1];
        live.RemoveAt(live.Count - 1);
        ulong rsp = cpu.R[Reg.RSP];
        // Frames on the stack IRET returned to that lie wholly below the loaded RSP were abandoned.
        while (live.Count > 0)
        {
            var f = live[^1];
            bool sameStack = f.Ist == inner.Ist && f.StackTop == inner.StackTop || (f.Start <= rsp && rsp - f.End < 0x1_0000);
            if (!sameStack || f.End > rsp) break;
            live.RemoveAt(live.Count - 1);
        }
    }

    /// <inheritdoc />
    public override void Shutdown(CpuCore cpu, string reason) =>
        Report(cpu, new StressViolation(StressViolationKind.Shutdown, cpu.ApicId, cpu.SimulatedNanoseconds, -1, 0, cpu.Rip, $"shutdown: {reason}"));

    private void Report(CpuCore cpu, in EventDelivery d, StressViolationKind kind, string details) =>
        Report(cpu, new StressViolation(kind, cpu.ApicId, cpu.SimulatedNanoseconds, d.Vector, d.Ist, d.FromRip, details));

    private StressViolation Report(CpuCore cpu, StressViolation v)
    {
        _violations.Add(v);
        Detected?.Invoke(cpu, v);
        return v;
    }
}
