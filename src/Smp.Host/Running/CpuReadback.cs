using Smp.Devices.Cpu;
using Smp.Host.Stress;
using Smp.Host.Telemetry;

namespace Smp.Host.Running;

/// <summary>
/// What one CPU holds at the end of a run, read from its registers and from guest memory (not from
/// the guest's log): GDT, gs-base, TSS and the IST stack tops stored in that TSS.
/// </summary>
/// <param name="Cpu">CPU index.</param>
/// <param name="ApicId">Initial APIC ID.</param>
/// <param name="IsBsp">Whether it is the bootstrap processor.</param>
/// <param name="GdtBase">GDTR base.</param>
/// <param name="GdtLimit">GDTR limit.</param>
/// <param name="GsBase">GS base (IA32_GS_BASE in 64-bit mode).</param>
/// <param name="TssBase">TR's base (the TSS).</param>
/// <param name="Ist">IST1–IST7 read from the 64-bit TSS (0 when unreadable).</param>
/// <param name="State">Run state.</param>
/// <param name="Mode">Operating mode.</param>
/// <param name="Rip">Instruction pointer.</param>
internal sealed record CpuReadback(int Cpu, int ApicId, bool IsBsp, ulong GdtBase, ushort GdtLimit, ulong GsBase, ulong TssBase,
    IReadOnlyList<ulong> Ist, RunState State, CpuMode Mode, ulong Rip)
{
    /// <summary>Reads CPU <paramref name="index"/>'s values.</summary>
    public static CpuReadback Of(int index, CpuCore cpu)
    {
        var view = new GuestMemoryView(cpu);
        var ist = new ulong[7];
        bool longTss = cpu.LongModeActive && cpu.Tr.Base != 0;
        for (int i = 0; i < 7 && longTss; i++)
            ist[i] = view.TryRead64(cpu.Tr.Base + Tss64.IstOffset(i + 1), out var v) ? v : 0;
        return new CpuReadback(index, cpu.ApicId, cpu.IsBsp, cpu.Gdtr.Base, cpu.Gdtr.Limit, cpu.Segs[Seg.GS].Base, cpu.Tr.Base,
            ist, cpu.State, cpu.Mode, cpu.Rip);
    }

    /// <summary>The attributes a trace carries for this CPU at the end of the run.</summary>
    public IEnumerable<KeyValuePair<string, object?>> TraceAttributes()
    {
        // Hex strings, as the trace's own LGDT/LTR/WRMSR attributes (OTLP integers are signed).
        yield return new("gdt.base", TraceAttribute.Hex(GdtBase));
        yield return new("gdt.limit", TraceAttribute.Hex(GdtLimit));
        yield return new("gs.base", TraceAttribute.Hex(GsBase));
        yield return new("tss.base", TraceAttribute.Hex(TssBase));
        for (int i = 0; i < Ist.Count; i++) yield return new($"ist.{i + 1}", TraceAttribute.Hex(Ist[i]));
    }
}
