using Smp.Devices.Cpu.Benchmark;

namespace Smp.Devices.Tests.Cpu.SystemControl;

public class CpuBenchmarkTests
{
    [Fact]
    public void Benchmark_runs_exactly_the_requested_instructions_and_reuses_its_decoded_loop()
    {
        var r = CpuBenchmark.Run(300_000, warmupInstructions: 20_000);
        Assert.Equal(300_000, r.InstructionsRetired);
        Assert.InRange(r.BlocksDecoded, 0, 4);       // the loop stays decoded (a rarely taken branch may add one block)
        Assert.True(r.Elapsed > TimeSpan.Zero);
        Assert.True(r.Mips > 0);
        Assert.Contains(r.Workload, new[] { "mixed", "basic" });
        Assert.InRange(r.InstructionsPerIteration, 20, 22);
    }
}
