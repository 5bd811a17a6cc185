using System.Diagnostics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Cpu.Benchmark;

/// <summary>The outcome of one <see cref="CpuBenchmark"/> run.</summary>
/// <param name="Workload">Which loop ran (see <see cref="CpuBenchmark"/>).</param>
/// <param name="InstructionsRetired">Guest instructions retired in the timed part.</param>
/// <param name="Elapsed">Host wall-clock time of the timed part.</param>
/// <param name="BlocksDecoded">Decoded blocks created during the timed part (should stay near zero: the loop is decoded once).</param>
/// <param name="InstructionsPerIteration">Instructions retired per loop iteration.</param>
public readonly record struct CpuBenchmarkResult(string Workload, long InstructionsRetired, TimeSpan Elapsed, long BlocksDecoded,
    int InstructionsPerIteration)
{
    /// <summary>Millions of guest instructions per host second.</summary>
    public double Mips => Elapsed.TotalSeconds > 0 ? InstructionsRetired / Elapsed.TotalSeconds / 1e6 : 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Workload}: {InstructionsRetired:N0} instructions in {Elapsed.TotalMilliseconds:F1} ms = {Mips:F1} MIPS ({InstructionsPerIteration} per iteration, {BlocksDecoded} blocks decoded)";
}

/// <summary>
/// A CPU-bound interpreter benchmark (used by <c>smp bench cpu</c>): one CPU in 64-bit long mode,
/// paging on, CPL 0, running a loop of ordinary integer code — register and memory ALU operations,
/// loads and stores, conditional branches and, when the core implements them, CALL/RET and logic
/// and shift instructions — for a given number of instructions, in quanta as the CPU actor runs it.
/// </summary>
/// <remarks>
/// Two loops are built: <c>mixed</c> (about 20 instructions per iteration including a CALL/RET pair,
/// XOR/AND/SHL, LEA and TEST) and <c>basic</c>, which uses only MOV, ADD, SUB, CMP, DEC and Jcc.
/// The first loop whose every instruction has a handler (<see cref="HandlerTable.IsImplemented"/>)
/// is used, so the benchmark never measures #UD delivery; <see cref="CpuBenchmarkResult.Workload"/> says which ran.
/// </remarks>
public static class CpuBenchmark
{
    private const ulong CodeBase = 0x10_0000, StackTop = 0x20_0000, DataBase = 0x30_0000, PageTables = 0x8_0000, GdtBase = 0x7_0000;

    /// <summary>Instructions one <see cref="CpuCore.Run"/> call executes (a CPU actor's quantum).</summary>
    public const long Quantum = 100_000;

    /// <summary>
    /// Runs the benchmark: a short untimed warm-up (JIT, decoding), then <paramref name="instructions"/>
    /// timed guest instructions.
    /// </summary>
    /// <param name="instructions">Guest instructions to execute in the timed part (at least 1).</param>
    /// <param name="warmupInstructions">Guest instructions executed before timing starts.</param>
    public static CpuBenchmarkResult Run(long instructions, long warmupInstructions = 1_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(instructions, 1);
        using var memory = new PhysicalMemory(8 << 20);
        var cpu = CreateLongModeCpu(memory);
        var (name, code, perIteration) = ChooseWorkload();
        memory.Load(CodeBase, code);

        RunFor(cpu, warmupInstructions);
        long retiredBefore = cpu.InstructionsRetired, blocksBefore = cpu.BlocksDecoded;
        var sw = Stopwatch.StartNew();
        RunFor(cpu, instructions);
        sw.Stop();
        if (cpu.State != RunState.Running)
            throw new InvalidOperationException($"benchmark CPU stopped unexpectedly: {cpu.State} {cpu.ShutdownReason}");
        return new CpuBenchmarkResult(name, cpu.InstructionsRetired - retiredBefore, sw.Elapsed, cpu.BlocksDecoded - blocksBefore, perIteration);
    }

    private static void RunFor(CpuCore cpu, long instructions)
    {
        long done = 0;
        while (done < instructions && cpu.State == RunState.Running)
            done += cpu.Run(Math.Min(Quantum, instructions - done));
    }

    /// <summary>Assembles the benchmark loops and returns the first whose instructions are all implemented.</summary>
    internal static (string Name, byte[] Code, int InstructionsPerIteration) ChooseWorkload()
    {
        var mixed = Assemble(BuildMixed, out int mixedCount);
        if (AllImplemented(mixed)) return ("mixed", mixed, mixedCount);
        var basic = Assemble(BuildBasic, out int basicCount);
        return ("basic", basic, basicCount);
    }

    // RSI = data area, RCX = iteration counter (effectively endless: the run stops on its budget).
    private static void Prologue(Assembler a)
    {
        a.mov(rsi, (long)DataBase);
        a.mov(rcx, long.MaxValue);
        a.mov(rbx, 1L);
    }

    // 20 instructions per iteration (19 when the data-dependent JB is taken).
    private static int BuildBasic(Assembler a)
    {
        var top = a.CreateLabel();
        var skip = a.CreateLabel();
        Prologue(a);
        a.Label(ref top);
        a.mov(rax, __qword_ptr[rsi]);
        a.add(rax, rbx);
        a.mov(__qword_ptr[rsi + 8], rax);
        a.mov(rdx, __qword_ptr[rsi + 8]);
        a.add(rdx, rax);
        a.sub(rdx, 3);
        a.cmp(rdx, 5);
        a.jb(skip);
        a.add(rbx, rdx);
        a.Label(ref skip);
        a.mov(__qword_ptr[rsi + 16], rbx);
        a.add(__qword_ptr[rsi + 24], rcx);
        a.dec(__qword_ptr[rsi + 32]);
        a.mov(rdi, rbx);
        a.add(rdi, rdi);
        a.sub(__qword_ptr[rsi + 40], 1);
        a.mov(r8, __qword_ptr[rsi + 16]);
        a.add(r8, rdx);
        a.mov(__qword_ptr[rsi + 48], r8);
        a.dec(rcx);
        a.jne(top);
        return 20;
    }

    // 22 instructions per iteration (21 when JE is taken), including CALL/RET and logic/shift/LEA/TEST.
    private static int BuildMixed(Assembler a)
    {
        var top = a.CreateLabel();
        var skip = a.CreateLabel();
        var func = a.CreateLabel();
        var done = a.CreateLabel();
        Prologue(a);
        a.Label(ref top);
        a.mov(rax, __qword_ptr[rsi]);
        a.add(rax, rbx);
        a.mov(__qword_ptr[rsi + 8], rax);
        a.xor(rdx, rax);
        a.and(rdx, 0x7F);
        a.shl(rdx, 2);
        a.lea(rdi, __[rsi + rdx + 64]);
        a.mov(__qword_ptr[rdi], rbx);
        a.call(func);
        a.test(rax, rbx);
        a.je(skip);
        a.add(rbx, rax);
        a.Label(ref skip);
        a.sub(__qword_ptr[rsi + 24], 1);
        a.cmp(rdx, 0x200);
        a.ja(done);
        a.mov(r8, __qword_ptr[rsi + 8]);
        a.add(r8, rdx);
        a.mov(__qword_ptr[rsi + 16], r8);
        a.dec(rcx);
        a.jne(top);
        a.Label(ref done);
        a.hlt();
        a.Label(ref func);
        a.add(rax, 1);
        a.ret();
        return 22;
    }

    private static byte[] Assemble(Func<Assembler, int> build, out int perIteration)
    {
        var a = new Assembler(64);
        perIteration = build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), CodeBase);
        return stream.ToArray();
    }

    private static bool AllImplemented(byte[] code)
    {
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
