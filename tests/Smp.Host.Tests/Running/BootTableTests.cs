using Smp.Host.Commands;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Running;

public sealed class BootTableTests
{
    [Fact]
    public void The_least_memory_help_names_boots_and_the_table_is_plain_ascii_when_stderr_is_not_a_terminal()
    {
        var result = Cli.Run("boot", "--cpus", "2", "--memory", BootCommand.MinimumMemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("smp: Bringing up secondary CPUs", result.Out, StringComparison.Ordinal);
        var lines = result.ErrLines;
        int header = Array.FindIndex(lines, l => l.StartsWith("CPU  APIC  role  GDT base:limit", StringComparison.Ordinal));
        Assert.True(header >= 0, result.Err);
        Assert.StartsWith("0    0     BSP   ", lines[header + 1]);
        Assert.StartsWith("1    1     AP    ", lines[header + 2]);
        Assert.EndsWith("  idle (hlt)", lines[header + 2]);
        Assert.Equal("smp boot: all 2 CPUs online and idle.", lines[^1]);
        foreach (var line in lines)
        {
            Assert.Equal(line.TrimEnd(), line);
            Assert.All(line, c => Assert.True(c < 0x80 || c == 'µ', $"'{c}' in '{line}'")); // no box drawing, no escape sequences
        }
    }

    [Fact]
    public void The_boot_loader_only_fallback_firmware_is_gone()
    {
        Assert.Null(typeof(SmpCli).Assembly.GetType("Smp.Host.Firmware.FallbackFirmware"));
        Assert.Null(typeof(SmpCli).Assembly.GetType("Smp.Host.Firmware.IFirmwareProvider"));
    }
}
