using System.Text;
using Iced.Intel;
using Decoder = Iced.Intel.Decoder;
using Smp.Devices.Cpu;

namespace Smp.Host.Stress;

/// <summary>The interrupted context an oops describes (RIP, RSP, RBP, RFLAGS, CS, SS); other registers come from the CPU.</summary>
/// <param name="Rip">The instruction pointer shown on the RIP and Code lines.</param>
/// <param name="Rsp">The stack pointer (the backtrace starts here).</param>
/// <param name="Rbp">The frame pointer (the chain starts here).</param>
/// <param name="Rflags">RFLAGS.</param>
/// <param name="Cs">The CS selector.</param>
/// <param name="Ss">The SS selector.</param>
public readonly record struct OopsContext(ulong Rip, ulong Rsp, ulong Rbp, ulong Rflags, ushort Cs, ushort Ss)
{
    /// <summary>The CPU's current context.</summary>
    public static OopsContext Of(CpuCore cpu) =>
        new(cpu.Rip, cpu.R[Reg.RSP], cpu.R[Reg.RBP], cpu.GetRflags(), cpu.Segs[Seg.CS].Selector, cpu.Segs[Seg.SS].Selector);

    /// <summary>
    /// The context a just-delivered 64-bit hardware frame at <paramref name="frameRsp"/> saved (RIP, CS,
    /// RFLAGS, RSP, SS; <paramref name="errorCode"/> says whether an error code lies below them), with the CPU's RBP.
    /// </summary>
    public static OopsContext Interrupted(CpuCore cpu, GuestMemoryView memory, ulong frameRsp, bool errorCode)
    {
        ulong b = frameRsp + (errorCode ? 8UL : 0);
        ulong W(ulong a) => memory.TryRead64(a, out ulong v) ? v : 0;
        return new(W(b), W(b + 24), cpu.R[Reg.RBP], W(b + 16), (ushort)W(b + 8), (ushort)W(b + 32));
    }
}

/// <summary>
/// Writes Linux-shaped oops text: the <c>BUG:</c> line, CPU line, <c>RIP: cs:symbol+0xoff/0xsize</c>,
/// <c>Code:</c> bytes (42 before RIP, the RIP byte in <c>&lt;xx&gt;</c>, 21 after) with an Iced
/// disassembly around RIP, the register dump three per line, control registers, then the call trace.
/// </summary>
public static class Oops
{
    private const int CodeBefore = 42, CodeAfter = 21;

    /// <summary>Builds the oops text for <paramref name="violation"/> on <paramref name="cpu"/>.</summary>
    /// <param name="cpu">The CPU (general registers and control registers are read from it).</param>
    /// <param name="violation">What happened (its Details make the BUG line).</param>
    /// <param name="context">The interrupted context (RIP, RSP, RBP, RFLAGS, CS, SS).</param>
    /// <param name="symbols">Guest text symbols.</param>
    /// <param name="stacks">The stacks the trace may scan.</param>
    /// <param name="reliableSlots">Extra reliable return-address slots (live frames' RIP slots).</param>
    public static string Write(CpuCore cpu, StressViolation violation, OopsContext context, SymbolTable symbols,
        IReadOnlyList<StackRegion> stacks, IEnumerable<ulong>? reliableSlots = null)
    {
        var mem = new GuestMemoryView(cpu);
        var sb = new StringBuilder();
        sb.Append("BUG: ").Append(Headline(violation)).Append('\n');
        sb.Append($"CPU: {violation.Cpu} PID: 0 Comm: swapper/{violation.Cpu}\n");
        sb.Append($"RIP: {context.Cs:x4}:{symbols.Format(context.Rip)}\n");
        AppendCode(sb, mem, context.Rip, symbols);
        AppendRegisters(sb, cpu, context);
        sb.Append(Backtrace.Scan(mem, symbols, stacks, context.Rsp, context.Rbp, reliableSlots).Format(symbols));
        return sb.ToString();
    }

    /// <summary>The text after "BUG: " for a violation.</summary>
    public static string Headline(StressViolation v) => v.Kind switch
    {
        StressViolationKind.IstClobber => $"IST stack clobbered: {v.Details}",
        StressViolationKind.HandlerReentered => $"handler re-entered: {v.Details}",
        StressViolationKind.NmiLost => $"NMI lost: {v.Details}",
        StressViolationKind.NmiDoubled => $"NMI doubled: {v.Details}",
        StressViolationKind.StackGuardHit => $"stack guard page was hit: {v.Details}",
        StressViolationKind.DoubleFault => $"double fault: {v.Details}",
        _ => $"triple fault: {v.Details}",
    };

    private static void AppendCode(StringBuilder sb, GuestMemoryView mem, ulong rip, SymbolTable symbols)
    {
        ulong first = rip - CodeBefore;
        var bytes = new byte[CodeBefore + CodeAfter + 1];
        var ok = new bool[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ok[i] = mem.TryRead8(first + (ulong)i, out bytes[i]);
        sb.Append("Code:");
        for (int i = 0; i < bytes.Length; i++)
        {
            string b = ok[i] ? bytes[i].ToString("x2") : "??";
            sb.Append(' ').Append(i == CodeBefore ? $"<{b}>" : b);
        }
        sb.Append('\n');
        // A symbol's start is a known instruction boundary: decode from there when it is in the window.
        int? boundary = symbols.TryLookup(rip, out var sym) && rip - sym.Address <= CodeBefore ? CodeBefore - (int)(rip - sym.Address) : null;
        AppendDisassembly(sb, bytes, ok, first, CodeBefore, boundary);
    }

    // Decodes from the symbol's start when known, else from the earliest start in the 42 bytes before
    // RIP whose instruction stream lands exactly on RIP (so the listing has context and RIP is an
    // instruction boundary), through RIP + 21.
    private static void AppendDisassembly(StringBuilder sb, byte[] bytes, bool[] ok, ulong first, int ripIndex, int? boundary)
    {
        int start = ripIndex;
        if (!ok[ripIndex]) { sb.Append("Unable to access opcode bytes at RIP\n"); return; }
        int lowest = ripIndex;
        for (int i = ripIndex; i >= 0 && ok[i]; i--) lowest = i;
        if (boundary is int b && b >= lowest && LandsOn(bytes, b, ripIndex, first)) start = b;
        else
            for (int s = lowest; s < ripIndex; s++)
                if (LandsOn(bytes, s, ripIndex, first)) { start = s; break; }
        int end = ripIndex;
        while (end < bytes.Length && ok[end]) end++;
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes, start, end - start), first + (ulong)start);
        var formatter = new GasFormatter();
        var output = new StringOutput();
        ulong ripAddress = first + (ulong)ripIndex;
        while (decoder.IP < first + (ulong)end)
        {
            decoder.Decode(out var instr);
            if (instr.IsInvalid) break;
            formatter.Format(in instr, output);
            int offset = (int)(instr.IP - first);
            var hex = new StringBuilder();
            for (int k = 0; k < instr.Length && offset + k < bytes.Length; k++) hex.Append(bytes[offset + k].ToString("x2")).Append(' ');
            sb.Append($"  {instr.IP:x16}:\t{hex,-24}\t{output.ToStringAndReset()}");
            if (instr.IP == ripAddress) sb.Append("\t\t<-- trapping instruction");
            sb.Append('\n');
        }
    }

    private static bool LandsOn(byte[] bytes, int start, int target, ulong first)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes, start, target - start), first + (ulong)start);
        ulong goal = first + (ulong)target;
        while (decoder.IP < goal)
        {
            decoder.Decode(out var instr);
            if (instr.IsInvalid) return false;
        }
        return decoder.IP == goal;
    }

    private static void AppendRegisters(StringBuilder sb, CpuCore cpu, OopsContext ctx)
    {
        var r = cpu.R;
        sb.Append($"RSP: {ctx.Ss:x4}:{ctx.Rsp:x16} EFLAGS: {ctx.Rflags:x8}\n");
        sb.Append($"RAX: {r[Reg.RAX]:x16} RBX: {r[Reg.RBX]:x16} RCX: {r[Reg.RCX]:x16}\n");
        sb.Append($"RDX: {r[Reg.RDX]:x16} RSI: {r[Reg.RSI]:x16} RDI: {r[Reg.RDI]:x16}\n");
        sb.Append($"RBP: {ctx.Rbp:x16} R08: {r[8]:x16} R09: {r[9]:x16}\n");
        sb.Append($"R10: {r[10]:x16} R11: {r[11]:x16} R12: {r[12]:x16}\n");
        sb.Append($"R13: {r[13]:x16} R14: {r[14]:x16} R15: {r[15]:x16}\n");
        sb.Append($"FS:  {cpu.Segs[Seg.FS].Base:x16} GS:  {cpu.Segs[Seg.GS].Base:x16} KNLGS: {cpu.KernelGsBase:x16}\n");
        sb.Append($"CS:  {ctx.Cs:x4} DS: {cpu.Segs[Seg.DS].Selector:x4} ES: {cpu.Segs[Seg.ES].Selector:x4} CR0: {cpu.Cr0:x16}\n");
        sb.Append($"CR2: {cpu.Cr2:x16} CR3: {cpu.Cr3:x16} CR4: {cpu.Cr4:x16}\n");
    }
}
