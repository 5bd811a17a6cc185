using System.Globalization;
using Smp.Devices.Cpu.Benchmark;

namespace Smp.Host.Bench;

/// <summary>
/// <c>smp bench cpu</c>: guest MIPS of the core, first per class of instructions (<see cref="CpuWorkloads.All"/>), the
/// interpreter against the JIT, then the mixed loop with the JIT in several timed rounds. Figures per host CPU second
/// (process time) are printed beside the wall-clock ones: they are what a loaded machine disturbs least. The best round
/// is the headline figure, the median is printed beside it. The last line is <c>mips: N</c>.
/// </summary>
internal static class CpuBench
{
    private const int Rounds = 5;
    private const int ClassRounds = 3;
    private const long InstructionsPerRound = 100_000_000;
    private const long InstructionsPerClassRound = 20_000_000;

    /// <summary>Runs the benchmark and prints the per-class table, the rounds and the final <c>mips:</c> line.</summary>
    public static int Run(TextWriter output)
    {
        CpuBenchmark.Run(20_000_000, warmupInstructions: 20_000_000); // .NET tiering settles here
        output.WriteLine("class     interpreter MIPS   jit MIPS   jit/interpreter   (per host CPU second, best of 3)");
        foreach (var workload in CpuWorkloads.All)
        {
            double interpreted = BestCpuMips(workload, jit: false), translated = BestCpuMips(workload, jit: true);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{workload.Name,-8}  {interpreted,16:F1}  {translated,9:F1}  {translated / interpreted,16:F2}x"));
        }

        var results = new List<CpuBenchmarkResult>();
        for (int i = 0; i < Rounds; i++)
        {
            var r = CpuBenchmark.Run(InstructionsPerRound);
            results.Add(r);
            output.WriteLine($"round {i + 1}: {r}");
        }
        results.Sort((a, b) => a.Mips.CompareTo(b.Mips));
        double bestCpu = results.Max(r => r.CpuMips);
        output.WriteLine($"workload: {results[0].Workload} ({results[0].InstructionsPerIteration} instructions per iteration)");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: {results[Rounds / 2].Mips:F1} MIPS, best: {results[^1].Mips:F1} MIPS (wall clock); best per host CPU second: {bestCpu:F1} MIPS"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mips: {results[^1].Mips:F0}"));
        return ExitCodes.Ok;
    }

    private static double BestCpuMips(CpuWorkload workload, bool jit)
    {
        double best = 0;
        for (int i = 0; i < ClassRounds; i++)
            best = Math.Max(best, CpuBenchmark.Run(workload, InstructionsPerClassRound, warmupInstructions: 2_000_000, jit).CpuMips);
        return best;
    }
}
