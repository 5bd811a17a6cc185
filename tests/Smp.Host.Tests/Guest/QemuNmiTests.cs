using System.Globalization;
using System.Text.RegularExpressions;
using Smp.Host.Guest;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Guest;

/// <summary>
/// NMIs sent through QEMU's monitor (<c>nmi</c>: LINT1 of every local APIC, in NMI mode only on the boot CPU)
/// to the booted guest, for each handler variant: <c>do_nmi</c> runs once per NMI and takes the nesting work with it (one #BP from the
/// kprobe-like INT3, one #PF on its demand page, one touch of <c>nmi_touch_var</c>); read back with <c>xp</c>.
/// Also reads the page tables: the IST area is mapped with 4 KiB pages, guards and the DB2 hole not present.
/// </summary>
public sealed partial class QemuNmiTests(ITestOutputHelper output) : IDisposable
{
    private const int Cpus = 4;
    private const int Nmis = 3;
    private readonly string directory = Directory.CreateTempSubdirectory("smp-qemu-nmi-").FullName;

    public static readonly TheoryData<HandlerVariant> Variants = new(HandlerVariant.Naive, HandlerVariant.Linux);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [QemuTheory]
    [MemberData(nameof(Variants))]
    public void Monitor_nmis_are_each_handled_once_per_cpu_with_their_nested_int3_and_page_fault(HandlerVariant handlers)
    {
        var image = Path.Combine(directory, "kernel.img");
        var kernel = KernelImage.Build(new KernelOptions(handlers));
        File.WriteAllBytes(image, kernel.Disk);
        var commands = new List<string> { $"{QemuMonitor.SleepPrefix}300" };
        for (var i = 0; i < Nmis; i++)
        {
            commands.Add("nmi");
            commands.Add($"{QemuMonitor.SleepPrefix}400");
        }

        commands.Add($"xp /1wx 0x{kernel.InitUdelayAddress:x}");
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            commands.Add($"xp /16gx 0x{KernelLayout.PerCpuArea(cpu):x}");
            commands.Add($"xp /1gx 0x{KernelLayout.IstPte(KernelLayout.NmiFaultPage(cpu)):x}");
        }

        var (serial, monitor) = QemuMonitor.Inspect(image, Cpus, "smp: Brought up", commands, TimeSpan.FromSeconds(40));
        output.WriteLine(serial);
        output.WriteLine(monitor);

        Assert.Contains($"smp: Brought up 1 node, {Cpus} CPUs", serial.Split('\n'));
        Assert.DoesNotContain("Oops", serial);
        Assert.DoesNotContain("PANIC", serial);
        Assert.DoesNotContain("BUG", serial);

        // QEMU's default TCG CPU is AuthenticAMD family 0xF: Linux's rule gives no INIT delay (fact A3).
        Assert.Equal(0UL, Memory(monitor, kernel.InitUdelayAddress, 1)[0] & 0xFFFFFFFF);
        // QEMU's "nmi" raises LINT1 on every local APIC; only the boot CPU's LVT LINT1 is in NMI mode (the
        // BIOS's setting, which Linux also keeps: APs have LINT1 masked), so the NMIs land on CPU 0 alone.
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            var expected = cpu == 0 ? (ulong)Nmis : 0;
            Assert.Equal(expected, Memory(monitor, KernelImage.NmiCountAddress(cpu), 1)[0]);
            Assert.Equal(expected, Memory(monitor, KernelImage.BreakpointCountAddress(cpu), 1)[0]);
            Assert.Equal(expected, Memory(monitor, KernelImage.NmiTouchVarAddress(cpu), 1)[0]);
            Assert.Equal(expected, Memory(monitor, KernelImage.PageFaultCountAddress(cpu), 1)[0]);
            Assert.Equal(0UL, Memory(monitor, KernelImage.DebugCountAddress(cpu), 1)[0]);
            Assert.Equal(0UL, Memory(monitor, KernelLayout.IstPte(KernelLayout.NmiFaultPage(cpu)), 1)[0] & 1); // unmapped again
        }
    }

    [QemuTheory]
    [MemberData(nameof(Variants))]
    public void The_ist_area_is_4k_mapped_with_the_db2_hole_and_guards_not_present(HandlerVariant handlers)
    {
        var image = Path.Combine(directory, "kernel.img");
        File.WriteAllBytes(image, KernelImage.Build(new KernelOptions(handlers)).Disk);
        var firstPde = KernelLayout.PageTables + 0x2000 + ((KernelLayout.IstStacks >> 21) * 8);
        var commands = new List<string> { $"xp /2gx 0x{firstPde:x}" };
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            commands.Add($"xp /16gx 0x{KernelLayout.IstPte(KernelLayout.IstGroup(cpu)):x}");
            commands.Add($"xp /4gx 0x{KernelLayout.TssOf(cpu) + 0x24:x}");
        }

        commands.Add($"gva2gpa 0x{KernelImage.GuardHoleRange(0).Start + 0xFF8:x}");
        commands.Add($"gva2gpa 0x{KernelImage.DbStackRanges(0)[1].Start + 0xFF8:x}");
        var (serial, monitor) = QemuMonitor.Inspect(image, Cpus, "smp: Brought up", commands, TimeSpan.FromSeconds(40));
        output.WriteLine(monitor);

        Assert.Contains($"smp: Brought up 1 node, {Cpus} CPUs", serial.Split('\n'));
        var pdes = Memory(monitor, firstPde, 2);
        Assert.Equal(KernelLayout.IstPageTables | 3, pdes[0] & ~0xFE0UL);
        Assert.Equal((KernelLayout.IstPageTables + 0x1000) | 3, pdes[1] & ~0xFE0UL);
        Assert.All(pdes, pde => Assert.Equal(0UL, pde & 0x80)); // page tables, not 2 MiB pages (PS clear)
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            var ptes = Memory(monitor, KernelLayout.IstPte(KernelLayout.IstGroup(cpu)), 16);
            for (var page = 0; page < 16; page++)
            {
                var address = KernelLayout.IstGroup(cpu) + ((ulong)page * 0x1000);
                Assert.Equal(address, ptes[page] & ~0xFFFUL);
                var present = !KernelLayout.GuardPageOffsets.Contains((ulong)page * 0x1000) && (ulong)page * 0x1000 != KernelLayout.NmiFaultPageOffset;
                Assert.True(present == ((ptes[page] & 1) == 1), $"CPU {cpu} page 0x{address:x}: PTE 0x{ptes[page]:x}");
            }

            Assert.DoesNotContain(KernelImage.GuardPages(cpu), g => g.Contains(KernelLayout.IstTop(cpu, 3) - 8));
            var ist = Memory(monitor, KernelLayout.TssOf(cpu) + 0x24, 4);
            for (var slot = 1; slot <= 4; slot++)
            {
                Assert.Equal(KernelImage.IstStackRange(cpu, slot).End, ist[slot - 1]);
            }
        }

        Assert.Contains("Unmapped", monitor);
        Assert.Matches(GpaLine(), monitor);
    }

    /// <summary>Values at <paramref name="address"/> from any <c>xp</c> output (qwords, or dwords from <c>/Nwx</c>).</summary>
    private static ulong[] Memory(string monitor, ulong address, int count)
    {
        var words = new Dictionary<ulong, ulong>();
        foreach (Match line in XpLine().Matches(monitor))
        {
            var at = ulong.Parse(line.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            foreach (var text in line.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                words[at] = ulong.Parse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                at += (ulong)(text.Length - 2) / 2;
            }
        }

        return Enumerable.Range(0, count).Select(i =>
        {
            Assert.True(words.TryGetValue(address + ((ulong)i * 8), out var value), $"no xp output for 0x{address + ((ulong)i * 8):x}");
            return value;
        }).ToArray();
    }

    [GeneratedRegex(@"^([0-9a-f]{16}): ((?:0x[0-9a-f]+ ?)+)\s*$", RegexOptions.Multiline)]
    private static partial Regex XpLine();

    [GeneratedRegex(@"gpa: 0x0*407ff8")]
    private static partial Regex GpaLine();
}
