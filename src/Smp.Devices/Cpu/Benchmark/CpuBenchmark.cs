using System.Diagnostics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Memory;

namespace Smp.Devices.Cpu.Benchmark;

/// <summary>The outcome of one <see cref="CpuBenchmark"/> run.</summary>
/// <param name="Workload">Which loop ran (see <see cref="CpuWorkloads"/>).</param>
/// <param name="Jit">Whether the JIT was on.</param>
/// <param name="InstructionsRetired">Guest instructions retired in the timed part.</param>
/// <param name="Elapsed">Host wall-clock time of the timed part.</param>
/// <param name="CpuTime">Host processor time of the process during the timed part (less disturbed by other load).</param>
/// <param name="BlocksDecoded">Decoded blocks created during the timed part (should stay near zero: the loop is decoded once).</param>
/// <param name="InstructionsPerIteration">Instructions retired per loop iteration.</param>
/// <param name="Translated">Instructions of the timed part that ran in translated code.</param>
public readonly record struct CpuBenchmarkResult(string Workload, bool Jit, long InstructionsRetired, TimeSpan Elapsed, TimeSpan CpuTime,
    long BlocksDecoded, int InstructionsPerIteration, long Translated)
{
    /// <summary>Millions of guest instructions per host second (wall clock).</summary>
    public double Mips => Elapsed.TotalSeconds > 0 ? InstructionsRetired / Elapsed.TotalSeconds / 1e6 : 0;

    /// <summary>Millions of guest instructions per second of host processor time.</summary>
    public double CpuMips => CpuTime.TotalSeconds > 0 ? InstructionsRetired / CpuTime.TotalSeconds / 1e6 : 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Workload} ({(Jit ? "jit" : "interpreter")}): {InstructionsRetired:N0} instructions in {Elapsed.TotalMilliseconds:F1} ms = {Mips:F1} MIPS " +
        $"({CpuMips:F1} per CPU second, {InstructionsPerIteration} per iteration, {BlocksDecoded} blocks decoded, {Translated:N0} translated)";
}

/// <summary>
/// CPU-bound benchmarks of the core (used by <c>smp bench cpu</c>): one CPU in 64-bit long mode, paging on, CPL 0,
/// running one of the loops of <see cref="CpuWorkloads"/> for a given number of instructions, in quanta as the CPU actor
/// runs it, with the JIT on or off (the interpreter).
/// </summary>
public static class CpuBenchmark
{
    private const ulong CodeBase = 0x10_0000, StackTop = 0x20_0000, PageTables = 0x8_0000, GdtBase = 0x7_0000;

    /// <summary>Instructions one <see cref="CpuCore.Run"/> call executes (a CPU actor's quantum).</summary>
    public const long Quantum = 100_000;

    /// <summary>Runs the headline <see cref="CpuWorkloads.Mixed"/> loop with the JIT on (see the other overload).</summary>
    /// <param name="instructions">Guest instructions to execute in the timed part (at least 1).</param>
    /// <param name="warmupInstructions">Guest instructions executed before timing starts.</param>
    public static CpuBenchmarkResult Run(long instructions, long warmupInstructions = 1_000_000) =>
        Run(CpuWorkloads.Mixed, instructions, warmupInstructions, jit: true);

    /// <summary>
    /// Runs <paramref name="workload"/>: a short untimed warm-up (the .NET JIT, decoding, and with <paramref name="jit"/> the
    /// translation of the loop, waited for), then <paramref name="instructions"/> timed guest instructions.
    /// </summary>
    /// <param name="workload">The loop.</param>
    /// <param name="instructions">Guest instructions to execute in the timed part (at least 1).</param>
    /// <param name="warmupInstructions">Guest instructions executed before timing starts.</param>
    /// <param name="jit">True to translate hot code, false for the interpreter alone.</param>
    public static CpuBenchmarkResult Run(CpuWorkload workload, long instructions, long warmupInstructions, bool jit)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentOutOfRangeException.ThrowIfLessThan(instructions, 1);
        if (!AllImplemented(workload))
            throw new InvalidOperationException($"the {workload.Name} workload uses an instruction the core does not implement");
        using var memory = new PhysicalMemory(8 << 20);
        var cpu = CreateLongModeCpu(memory);
        cpu.CompileHotBlocks = jit;
        cpu.JitWaits = true;
        var code = Assemble(workload.Build, out int perIteration);
        memory.Load(CodeBase, code);

        RunFor(cpu, warmupInstructions);
        long retiredBefore = cpu.InstructionsRetired, blocksBefore = cpu.BlocksDecoded, translatedBefore = cpu.InstructionsTranslated;
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        RunFor(cpu, instructions);
        sw.Stop();
        process.Refresh();
        var cpuTime = process.TotalProcessorTime - cpuBefore;
        if (cpu.State != RunState.Running)
            throw new InvalidOperationException($"benchmark CPU stopped unexpectedly: {cpu.State} {cpu.ShutdownReason}");
        return new CpuBenchmarkResult(workload.Name, jit, cpu.InstructionsRetired - retiredBefore, sw.Elapsed, cpuTime,
            cpu.BlocksDecoded - blocksBefore, perIteration, cpu.InstructionsTranslated - translatedBefore);
    }

    private static void RunFor(CpuCore cpu, long instructions)
    {
        long done = 0;
        while (done < instructions && cpu.State == RunState.Running)
            done += cpu.Run(Math.Min(Quantum, instructions - done));
    }

    private static byte[] Assemble(Func<Assembler, int> build, out int perIteration)
    {
        var a = new Assembler(64);
        perIteration = build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), CodeBase);
        return stream.ToArray();
    }

    private static bool AllImplemented(CpuWorkload workload)
    {
        var code = Assemble(workload.Build, out _);
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code), CodeBase);
        while (decoder.IP < CodeBase + (ulong)code.Length)
        {
            decoder.Decode(out var instr);
            if (!HandlerTable.IsImplemented(instr.Code)) return false;
        }
        return true;
    }

    // The same machine as the tests' long-mode fixture: identity-mapped 2 MiB pages, flat 64-bit CS.
    private static CpuCore CreateLongModeCpu(PhysicalMemory mem)
    {
        mem.Write(PageTables, 8, (PageTables + 0x1000) | 7);
        mem.Write(PageTables + 0x1000, 8, (PageTables + 0x2000) | 7);
        for (ulong i = 0; i < 4; i++) mem.Write(PageTables + 0x2000 + i * 8, 8, (i << 21) | 0x87);
        mem.Write(GdtBase + 0x08, 8, 0x00CF_9B00_0000_FFFFUL);
        mem.Write(GdtBase + 0x10, 8, 0x00AF_9B00_0000_FFFFUL);
        mem.Write(GdtBase + 0x18, 8, 0x00CF_9300_0000_FFFFUL);
        var c = new CpuCore(mem);
        c.Cr3 = PageTables;
        c.Cr4 = CpuCore.Cr4Pae;
        c.Efer = Msr.EferLme | Msr.EferLma;
        c.Cr0 = CpuCore.Cr0Pg | CpuCore.Cr0Et | CpuCore.Cr0Pe;
        c.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = 0x1F };
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, Attributes = 0xA09B };
        for (int s = 0; s < 6; s++)
            if (s != Seg.CS) c.Segs[s] = new SegmentRegister { Selector = 0x18, Limit = 0xFFFF_FFFF, Attributes = 0xC093 };
        c.Cpl = 0;
        c.Rip = CodeBase;
        c.R[Reg.RSP] = StackTop;
        c.UpdateMode();
        c.FlushTlb();
        return c;
    }
}
