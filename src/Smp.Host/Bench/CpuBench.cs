using Smp.Devices.Cpu.Benchmark;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench cpu</c>: guest MIPS of the interpreter on a CPU-bound 64-bit integer loop. Several
/// timed rounds after a warm-up; the best round is the figure (the least disturbed by the host),
/// the median is printed beside it. The last line is <c>mips: N</c>.
/// </summary>
internal static class CpuBench
{
    private const int Rounds = 5;
    private const long InstructionsPerRound = 100_000_000;

    /// <summary>Runs the benchmark and prints a table and the final <c>mips:</c> line.</summary>
    public static int Run(TextWriter output)
    {
        var results = new List<CpuBenchmarkResult>();
        CpuBenchmark.Run(20_000_000, warmupInstructions: 20_000_000); // JIT tiering settles here
        for (int i = 0; i < Rounds; i++)
        {
            var r = CpuBenchmark.Run(InstructionsPerRound);
            results.Add(r);
            output.WriteLine($"round {i + 1}: {r}");
        }
        results.Sort((a, b) => a.Mips.CompareTo(b.Mips));
        output.WriteLine($"workload: {results[0].Workload} ({results[0].InstructionsPerIteration} instructions per iteration)");
        output.WriteLine($"median: {results[Rounds / 2].Mips:F1} MIPS, best: {results[^1].Mips:F1} MIPS");
        output.WriteLine($"mips: {results[^1].Mips:F0}");
        return ExitCodes.Ok;
    }
}
