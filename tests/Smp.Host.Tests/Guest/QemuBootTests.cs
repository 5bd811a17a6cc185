using System.Text.RegularExpressions;
using Smp.Host.Guest;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Guest;

/// <summary>The built-in kernel's image boots under QEMU's SeaBIOS: it relies on nothing only our BIOS provides.</summary>
public sealed partial class QemuBootTests(ITestOutputHelper output) : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("smp-qemu-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [QemuTheory]
    [InlineData(1, HandlerVariant.Naive)]
    [InlineData(2, HandlerVariant.Naive)]
    [InlineData(4, HandlerVariant.Naive)]
    [InlineData(8, HandlerVariant.Naive)]
    [InlineData(64, HandlerVariant.Naive)]
    [InlineData(4, HandlerVariant.Linux)]
    [InlineData(64, HandlerVariant.Linux)]
    public void The_image_brings_up_every_cpu_under_qemu(int cpus, HandlerVariant handlers)
    {
        var image = Path.Combine(directory, "kernel.img");
        File.WriteAllBytes(image, KernelImage.Build(new KernelOptions(handlers)).Disk);
        var expected = $"smp: Brought up 1 node, {cpus} CPU{(cpus == 1 ? string.Empty : "s")}";

        var (log, elapsed) = Qemu.Boot(image, cpus, "smp: Brought up", TimeSpan.FromSeconds(cpus > 8 ? 90 : 30));
        output.WriteLine($"{cpus} CPUs: {elapsed.TotalMilliseconds:F0} ms");
        output.WriteLine(log);

        var lines = log.Split('\n');
        Assert.Contains(expected, lines);
        Assert.Contains(lines, line => UsableE820().IsMatch(line));
        Assert.Contains(lines, line => line.StartsWith("ACPI: RSDP 0x", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("Linux version ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.StartsWith("Oops", StringComparison.Ordinal) || line.Contains("failed", StringComparison.Ordinal));
        if (cpus > 1)
        {
            var announced = string.Join(' ', Enumerable.Range(1, cpus - 1).Select(n => $"#{n}"));
            Assert.Contains($".... node  #0, CPUs:  {announced}", lines);
        }
    }

    [QemuFact]
    public void Without_the_init_delay_the_aps_still_come_up()
    {
        var image = Path.Combine(directory, "kernel-no-init-udelay.img");
        File.WriteAllBytes(image, KernelImage.Build(new KernelOptions(InitUdelayMicroseconds: 0)).Disk);

        var (log, _) = Qemu.Boot(image, 8, "smp: Brought up", TimeSpan.FromSeconds(30));

        Assert.Contains("smp: Brought up 1 node, 8 CPUs", log.Split('\n'));
    }

    [GeneratedRegex(@"^BIOS-e820: \[mem 0x[0-9a-f]{16}-0x[0-9a-f]{16}\] usable$")]
    private static partial Regex UsableE820();
}
