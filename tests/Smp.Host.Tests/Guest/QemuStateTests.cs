using System.Globalization;
using System.Text.RegularExpressions;
using Smp.Host.Guest;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Guest;

/// <summary>
/// Reads each CPU's state back from QEMU after the boot (not from the guest's log): its own GDT page,
/// gs-base on its per-CPU area, its own TSS whose IST slots point into its own stacks, and the online mask.
/// This pins down <see cref="KernelLayout"/>, which the simulator reads back the same way.
/// </summary>
public sealed partial class QemuStateTests(ITestOutputHelper output) : IDisposable
{
    private const int Cpus = 4;
    private readonly string directory = Directory.CreateTempSubdirectory("smp-qemu-state-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [QemuFact]
    public void Every_cpu_runs_on_its_own_gdt_page_tss_ist_stacks_and_per_cpu_area()
    {
        var image = Path.Combine(directory, "kernel.img");
        File.WriteAllBytes(image, KernelImage.Build().Disk);
        // The BSP prints "Brought up" a few instructions before its idle HLT; a loaded host can leave QEMU's vCPU thread
        // between the two when the monitor asks, so the state is read a second later.
        var commands = new List<string> { $"{QemuMonitor.SleepPrefix}1000", "info registers -a", $"xp /1gx 0x{KernelLayout.CpuOnlineMask:x}" };
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            commands.Add($"xp /4gx 0x{KernelLayout.TssOf(cpu) + 0x24:x}");
            commands.Add($"xp /1gx 0x{KernelLayout.PerCpuArea(cpu):x}");
        }

        var (serial, monitor) = QemuMonitor.Inspect(image, Cpus, "smp: Brought up", commands, TimeSpan.FromSeconds(30));
        output.WriteLine(serial);
        output.WriteLine(monitor);

        Assert.Contains($"smp: Brought up 1 node, {Cpus} CPUs", serial);
        var blocks = monitor.Split("CPU#").Skip(1).ToArray();
        Assert.True(blocks.Length >= Cpus, "info registers -a printed fewer CPUs than booted");
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            var block = blocks[cpu];
            Assert.StartsWith(cpu.ToString(CultureInfo.InvariantCulture), block);
            Assert.Equal(KernelLayout.GdtPage(cpu), Hex(GdtLine().Match(block).Groups[1].Value));
            Assert.Equal(0x7FUL, Hex(GdtLine().Match(block).Groups[2].Value));
            Assert.Equal(KernelLayout.PerCpuArea(cpu), Hex(GsLine().Match(block).Groups[1].Value));
            Assert.Equal(KernelLayout.TssOf(cpu), Hex(TrLine().Match(block).Groups[1].Value));
            Assert.Contains("HLT=1", block);
            var ist = Memory(monitor, KernelLayout.TssOf(cpu) + 0x24, 4);
            for (var slot = 1; slot <= 4; slot++)
            {
                Assert.Equal(KernelLayout.IstTop(cpu, slot), ist[slot - 1]);
            }

            Assert.Equal(KernelLayout.PerCpuArea(cpu), Memory(monitor, KernelLayout.PerCpuArea(cpu), 1)[0]);
        }

        Assert.Equal((1UL << Cpus) - 1, Memory(monitor, KernelLayout.CpuOnlineMask, 1)[0]);
    }

    /// <summary>Parses <c>xp /Ngx</c> output: lines "address: 0x... 0x...".</summary>
    private static ulong[] Memory(string monitor, ulong address, int count)
    {
        var values = new List<ulong>();
        var line = 0UL;
        while (values.Count < count)
        {
            var match = Regex.Match(monitor, $"^{address + line:x16}: (.*)$", RegexOptions.Multiline);
            Assert.True(match.Success, $"no xp output for 0x{address + line:x}");
            values.AddRange(match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => Hex(v[2..])));
            line += 16;
        }

        return values.Take(count).ToArray();
    }

    private static ulong Hex(string text) => ulong.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"GDT=\s+([0-9a-f]{16}) ([0-9a-f]{8})")]
    private static partial Regex GdtLine();

    [GeneratedRegex(@"GS =[0-9a-f]{4} ([0-9a-f]{16})")]
    private static partial Regex GsLine();

    [GeneratedRegex(@"TR =0040 ([0-9a-f]{16})")]
    private static partial Regex TrLine();
}
