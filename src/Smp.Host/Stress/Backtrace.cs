using System.Text;

namespace Smp.Host.Stress;

/// <summary>A stack the backtrace may walk: [Start, End) with a Linux label ("NMI", "#DB", "#DF", "#MC", "TASK", "IRQ").</summary>
/// <param name="Label">Printed as <c>&lt;Label&gt;</c> … <c>&lt;/Label&gt;</c>.</param>
/// <param name="Start">Lowest address.</param>
/// <param name="End">One past the highest address (for an IST stack: the TSS.IST value, where the hardware frame sits on top).</param>
public sealed record StackRegion(string Label, ulong Start, ulong End)
{
    /// <summary>True for exception stacks (anything but the task stack): their top holds a hardware frame linking to the interrupted stack.</summary>
    public bool IsExceptionStack => Label != "TASK";

    /// <summary>True when <paramref name="address"/> lies in the region.</summary>
    public bool Contains(ulong address) => address >= Start && address < End;
}

/// <summary>One text address found on a stack.</summary>
/// <param name="Slot">Where on the stack the word lies.</param>
/// <param name="Address">The text address.</param>
/// <param name="Reliable">True when the slot fits the frame-pointer chain or is a hardware frame's RIP slot; printed without "? ".</param>
/// <param name="Stack">The label of the stack it was found on.</param>
/// <param name="StackIndex">Index of that stack in <see cref="Backtrace.StacksWalked"/>.</param>
public sealed record BacktraceEntry(ulong Slot, ulong Address, bool Reliable, string Stack, int StackIndex);

/// <summary>
/// A Linux-style call trace made by scanning stacks (fact sheet F): every word that is a guest text
/// address is listed; those at the frame-pointer chain's return slot (<c>rbp + 8</c>, then
/// <c>rbp = [rbp]</c>) or at a hardware exception frame's RIP slot are reliable, the others are
/// printed with <c>? </c> in front. Nothing that looks like a text address is dropped.
/// </summary>
public sealed class Backtrace
{
    private Backtrace(IReadOnlyList<BacktraceEntry> entries, IReadOnlyList<string> stacks)
    {
        Entries = entries;
        StacksWalked = stacks;
    }

    /// <summary>The entries in scan order (innermost stack first, low to high addresses).</summary>
    public IReadOnlyList<BacktraceEntry> Entries { get; }

    /// <summary>The labels of the stacks walked, in order.</summary>
    public IReadOnlyList<string> StacksWalked { get; }

    /// <summary>
    /// Scans from <paramref name="rsp"/> up the stack containing it, then, at the top of an exception
    /// stack, continues at the interrupted RSP saved in its hardware frame (<c>End − 16</c>), until a
    /// task stack ends, the saved RSP is in no known stack, or a stack would be walked twice.
    /// </summary>
    /// <param name="read64">Reads a guest word, or null when unmapped.</param>
    /// <param name="symbols">The guest text symbols.</param>
    /// <param name="stacks">The stacks (exception stacks and the task stack).</param>
    /// <param name="rsp">Where to start.</param>
    /// <param name="rbp">The frame pointer of the context at <paramref name="rsp"/>.</param>
    /// <param name="reliableSlots">Extra slots known to hold return addresses (e.g. RIP slots of live frames from the IST monitor).</param>
    public static Backtrace Scan(Func<ulong, ulong?> read64, SymbolTable symbols, IReadOnlyList<StackRegion> stacks, ulong rsp, ulong rbp,
        IEnumerable<ulong>? reliableSlots = null)
    {
        var reliable = new HashSet<ulong>(reliableSlots ?? []);
        foreach (var s in stacks)
            if (s.IsExceptionStack && s.End >= 40) reliable.Add(s.End - 40);
        var entries = new List<BacktraceEntry>();
        var walked = new List<string>();
        var visited = new HashSet<StackRegion>();
        ulong sp = rsp & ~7UL;
        while (Find(stacks, sp) is { } region && visited.Add(region))
        {
            walked.Add(region.Label);
            for (ulong slot = sp; slot + 8 <= region.End; slot += 8)
            {
                if (read64(slot) is not ulong word || !symbols.IsText(word)) continue;
                bool onChain = rbp != 0 && slot == rbp + 8;
                if (onChain) rbp = read64(rbp) ?? 0;
                entries.Add(new BacktraceEntry(slot, word, onChain || reliable.Contains(slot), region.Label, walked.Count - 1));
            }
            if (!region.IsExceptionStack || read64(region.End - 16) is not ulong next) break;
            sp = next & ~7UL;
        }
        return new Backtrace(entries, walked);
    }

    /// <summary>Scans guest memory through <paramref name="memory"/>.</summary>
    public static Backtrace Scan(GuestMemoryView memory, SymbolTable symbols, IReadOnlyList<StackRegion> stacks, ulong rsp, ulong rbp,
        IEnumerable<ulong>? reliableSlots = null) =>
        Scan(a => memory.TryRead64(a, out ulong v) ? v : null, symbols, stacks, rsp, rbp, reliableSlots);

    private static StackRegion? Find(IReadOnlyList<StackRegion> stacks, ulong sp)
    {
        foreach (var s in stacks) if (s.Contains(sp)) return s;
        return null;
    }

    /// <summary>The <c>Call Trace:</c> block: labelled stacks, one entry per line, "? " on unreliable ones.</summary>
    public string Format(SymbolTable symbols)
    {
        var sb = new StringBuilder("Call Trace:\n");
        for (int i = 0; i < StacksWalked.Count; i++)
        {
            string label = StacksWalked[i];
            sb.Append(" <").Append(label).Append(">\n");
            foreach (var e in Entries)
                if (e.StackIndex == i) sb.Append(' ').Append(e.Reliable ? "" : "? ").Append(symbols.Format(e.Address)).Append('\n');
            sb.Append(" </").Append(label).Append(">\n");
        }
        return sb.ToString();
    }
}
