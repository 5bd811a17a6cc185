using Smp.Host.Guest.Initramfs;
using Xunit.Abstractions;

namespace Smp.Host.Tests.Linux;

/// <summary>
/// The test initramfs under QEMU TCG with Debian's 6.1 kernel, as the command line has it: the init's lines
/// appear with every CPU counted, and the machine powers itself off (QEMU exits 0 on an ACPI S5 power-off).
/// </summary>
public sealed class LinuxQemuTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("smp-linux-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [DebianKernelFact]
    public void Test_init_prints_its_lines_with_four_cpus_and_powers_off_under_qemu()
    {
        var (vmlinuz, _) = Assert.NotNull(DebianKernel.Files);
        string initrd = Path.Combine(_dir, "initrd.cpio");
        File.WriteAllBytes(initrd, TestInitramfs.Build());

        string[] arguments =
            ["-accel", "tcg", "-kernel", vmlinuz, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 nokaslr", "-smp", "4", "-m", "512", "-nographic", "-no-reboot"];
        var qemu = CrossCheck.CrossRun.QemuWith(arguments, TimeSpan.FromMinutes(3));
        // QEMU's multi-threaded TCG runs the guest on host time: on a host loaded far beyond its cores (a full suite in
        // parallel), Linux's wall-clock timeouts (an AP's alive report, the clocksource watchdog) can expire. The
        // oracle gets a second run then; the assertions below hold for the run that powered off, or the last one.
        if (!qemu.Com1.Contains("reboot: Power down", StringComparison.Ordinal))
        {
            output.WriteLine("first QEMU run did not power off:\n" + qemu.Com1 + qemu.Diagnostics);
            qemu = CrossCheck.CrossRun.QemuWith(arguments, TimeSpan.FromMinutes(3));
        }

        string console = qemu.Com1;
        output.WriteLine(console + qemu.Diagnostics);

        Assert.Contains("smp: Brought up 1 node, 4 CPUs", console);
        Assert.Contains(TinyInit.Banner, console);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, TinyInit.CpuLineFormat, 4), console);
        Assert.Contains("reboot: Power down", console);
        Assert.Equal(0, qemu.ExitCode);
    }
}
