using System.Text;
using Smp.Devices.Cpu;
using Smp.Devices.Platform.Actors;
using Smp.Host.Guest;
using Smp.Host.Running;
using Smp.Host.Telemetry;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Tests.Boot;

/// <summary>
/// The built-in kernel booted on the simulated machine (real BIOS, actors, INIT/SIPI), checked from
/// CPU state and guest memory rather than from the guest's log.
/// </summary>
public class BuiltInKernelBootTests
{
    private static (GuestSessionResult Result, string Console) Boot(int cpus, ulong seed = 1, HandlerVariant handlers = HandlerVariant.Naive,
        bool parallel = false)
    {
        var kernel = KernelImage.Build(new KernelOptions(handlers));
        var console = new StringBuilder();
        var options = new GuestSessionOptions(cpus, 128, seed, DiskImageSource.FromBytes(kernel.Disk), "built-in kernel",
            kernel.Symbols.Select(s => new KeyValuePair<string, ulong>(s.Name, s.Address)).ToArray(), TraceOptions.None,
            MaxSimulatedTime: 30_000_000_000, Parallel: parallel);
        var result = GuestSession.Run(options, b => console.Append((char)b), TextWriter.Null);
        return (result, console.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(64)]
    public void Every_cpu_comes_online_with_its_own_gdt_gs_base_and_ist_stacks(int cpus)
    {
        var (result, console) = Boot(cpus);

        Assert.Contains($"smp: Brought up 1 node, {cpus} CPU{(cpus == 1 ? "" : "s")}\n", console);
        Assert.Equal(StopReason.AllIdle, result.Machine.Reason);
        Assert.Equal(cpus, result.Cpus.Count);
        Assert.Equal(cpus, result.Cpus.Select(c => c.GdtBase).Distinct().Count());
        foreach (var cpu in result.Cpus)
        {
            Assert.Equal(RunState.Halted, cpu.State);
            Assert.Equal(CpuMode.Long64, cpu.Mode);
            Assert.NotNull(result.Trackers[cpu.Cpu].FirstEntry("cpu_idle"));
            Assert.Equal(KernelLayout.GdtPage(cpu.Cpu), cpu.GdtBase);
            Assert.Equal(KernelLayout.PerCpuArea(cpu.Cpu), cpu.GsBase);
            Assert.Equal(KernelLayout.TssOf(cpu.Cpu), cpu.TssBase);
            for (int ist = 1; ist <= 4; ist++)
            {
                var range = KernelImage.IstStackRange(cpu.Cpu, ist);
                ulong top = cpu.Ist[ist - 1];
                Assert.True(top > range.Start && top <= range.End, $"CPU {cpu.Cpu} IST{ist} top 0x{top:x} outside its stack {range}");
            }
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_console_log_and_the_same_clocks()
    {
        var (first, log1) = Boot(4, seed: 7);
        var (second, log2) = Boot(4, seed: 7);

        Assert.Equal(log1, log2);
        Assert.Equal(first.Machine.SimulatedNanoseconds, second.Machine.SimulatedNanoseconds);
        Assert.Equal(first.Machine.Instructions, second.Machine.Instructions);
        Assert.Equal(first.Cpus.Select(c => result(c)), second.Cpus.Select(c => result(c)));

        static string result(CpuReadback c) => $"{c.Cpu} {c.Rip:x} {c.GdtBase:x} {c.GsBase:x} {string.Join(',', c.Ist)}";
    }

    [Fact]
    public void The_linux_handler_variant_boots_too()
    {
        var (result, console) = Boot(2, handlers: HandlerVariant.Linux);
        Assert.Contains("smp: Brought up 1 node, 2 CPUs\n", console);
        Assert.Equal(StopReason.AllIdle, result.Machine.Reason);
    }

    [Fact]
    public void The_parallel_dispatcher_brings_every_cpu_online_too()
    {
        var (result, console) = Boot(8, parallel: true);
        Assert.Contains("smp: Brought up 1 node, 8 CPUs\n", console);
        Assert.Equal(StopReason.AllIdle, result.Machine.Reason);
        Assert.All(result.Cpus, c => Assert.Equal(KernelLayout.PerCpuArea(c.Cpu), c.GsBase));
    }
}
