using System.Text;
using Smp.Devices.Cpu;

namespace Smp.Host.Stress;

/// <summary>
/// Completes an <see cref="Oops"/> for stress reports: a <c>Live frames:</c> block before the call trace
/// (every exception frame the IST monitor holds live, outermost first, with its saved RIP as
/// <c>symbol+0xoff/0xsize</c> and whether a later delivery clobbered it — a clobber shows both frames of
/// the same IST slot), and, when the trace stopped at a stack the hardware frame does not lead out of
/// (e.g. the #DF stack whose interrupted RSP lies in the unmapped DB2 hole), the other stacks that hold
/// live frames, scanned from those frames.
/// </summary>
internal static class StressOopsText
{
    /// <summary>Returns <paramref name="oops"/> with the live frames and the remaining live stacks added.</summary>
    public static string Complete(string oops, CpuCore cpu, IReadOnlyList<LiveFrame> live, SymbolTable symbols,
        IReadOnlyList<StackRegion> stacks, IEnumerable<ulong> reliableSlots, Func<int, string> vectorName)
    {
        int trace = oops.IndexOf("Call Trace:\n", StringComparison.Ordinal);
        if (trace < 0) return oops;
        var sb = new StringBuilder(oops.Length + 512);
        sb.Append(oops, 0, trace);
        if (live.Count > 0)
        {
            sb.Append("Live frames:\n");
            foreach (var f in live)
            {
                string stack = Label(stacks, f.Start) ?? "?";
                ulong rip = f.Words is { } w ? w[0] : f.FromRip;
                sb.Append($" {vectorName(f.Vector)} IST{f.Ist} <{stack}> frame 0x{f.Start:x}-0x{f.End:x} RIP {symbols.Format(rip)}")
                  .Append(f.Clobbered ? " CLOBBERED" : f.Relocated ? " (copied by the handler)" : "")
                  .Append('\n');
            }
        }
        sb.Append(oops, trace, oops.Length - trace);

        // Stacks with live frames the first walk did not reach.
        var view = new GuestMemoryView(cpu);
        var walked = new HashSet<string>();
        foreach (var line in oops.AsSpan(trace).ToString().Split('\n'))
            if (line.StartsWith(" <", StringComparison.Ordinal) && !line.StartsWith(" </", StringComparison.Ordinal)) walked.Add(line[2..^1]);
        var slots = new List<ulong>(reliableSlots);
        for (int k = live.Count - 1; k >= 0; k--)
        {
            var f = live[k];
            if (Label(stacks, f.Start) is not { } label || walked.Contains(label)) continue;
            var bt = Backtrace.Scan(view, symbols, stacks, f.Start, 0, slots);
            foreach (var s in bt.StacksWalked) walked.Add(s);
            string text = bt.Format(symbols);
            sb.Append(text, "Call Trace:\n".Length, text.Length - "Call Trace:\n".Length);
        }
        return sb.ToString();
    }

    private static string? Label(IReadOnlyList<StackRegion> stacks, ulong address)
    {
        foreach (var s in stacks) if (s.Contains(address)) return s.Label;
        return null;
    }
}
