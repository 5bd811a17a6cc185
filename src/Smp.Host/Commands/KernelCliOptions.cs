using System.CommandLine;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;
using Smp.Host.Loaders;

namespace Smp.Host.Commands;

/// <summary>
/// <c>smp run</c>'s kernel options, QEMU's <c>-kernel</c>, <c>-append</c> and <c>-initrd</c>: <c>--kernel FILE</c>,
/// <c>--append CMDLINE</c>, <c>--initrd FILE[,FILE...]</c>; read into an <see cref="IKernelImage"/> (see <c>Loaders/</c>).
/// </summary>
internal sealed class KernelCliOptions
{
    private KernelCliOptions()
    {
        Kernel = new Option<string>("--kernel")
        {
            Description = "Boot this kernel instead of the disk's boot sector, as QEMU's -kernel: a Multiboot v1 or Multiboot2 kernel " +
                "(ELF or a.out kludge) entered in 32-bit protected mode, or a Linux bzImage entered through its real-mode setup code. " +
                "The format is recognised from the contents. With --disk too, the disk is the guest's drive 80h.",
            HelpName = "FILE",
        };
        Append = new Option<string>("--append")
        {
            Description = "The kernel's command line (Multiboot: after the kernel path, which is argv[0], as QEMU passes it).",
            HelpName = "CMDLINE",
        };
        Initrd = new Option<string>("--initrd")
        {
            Description = "Multiboot modules or the Linux initrd: comma-separated files (',,' is a literal comma); for Multiboot " +
                "each entry may carry arguments after a space, passed as the module's string.",
            HelpName = "FILE[,FILE...]",
        };
    }

    /// <summary><c>--test-devices [true|false]</c>: QEMU's pc-testdev; on by default with <c>--kernel</c>.</summary>
    public Option<bool?> TestDevices { get; } = new("--test-devices")
    {
        Description = "Add QEMU's pc-testdev (ports 0xE0-0xEB and 0x2000-0x2017, MMIO scratch at 0xFF000000), as kvm-unit-tests' " +
            "runner does with -device pc-testdev. On by default with --kernel, off for disk boots.",
        HelpName = "true|false",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary><c>--screen stdout|none</c>: where the BIOS's INT 10h text is shown.</summary>
    public Option<string> Screen { get; } = CreateScreen();

    /// <summary><c>--kernel FILE</c>.</summary>
    public Option<string> Kernel { get; }

    /// <summary><c>--append CMDLINE</c>.</summary>
    public Option<string> Append { get; }

    /// <summary><c>--initrd FILE[,FILE...]</c>.</summary>
    public Option<string> Initrd { get; }

    /// <summary>Creates the options and adds them to <paramref name="command"/>.</summary>
    public static KernelCliOptions AddTo(Command command)
    {
        var options = new KernelCliOptions();
        command.Options.Add(options.Kernel);
        command.Options.Add(options.Append);
        command.Options.Add(options.Initrd);
        command.Options.Add(options.TestDevices);
        command.Options.Add(options.Screen);
        return options;
    }

    /// <summary>
    /// Whether the BIOS's screen text joins COM1 on stdout: as <c>--screen</c> says, else for disk boots only. A kernel
    /// booted with --kernel is run as QEMU's <c>-nographic</c> runs it: its console is the serial port, and Linux's
    /// setup code prints every line both through INT 10h and to the serial port named by <c>console=ttyS0</c>.
    /// </summary>
    public bool WantsScreen(ParseResult parse) =>
        parse.GetResult(Screen) is null ? !HasKernel(parse) : parse.GetValue(Screen) == "stdout";

    private static Option<string> CreateScreen()
    {
        var option = new Option<string>("--screen")
        {
            Description = "Where the text the BIOS prints (INT 10h, which also fills the VGA text buffer) is shown: 'stdout' mixes it " +
                "with COM1's output, 'none' shows only COM1. Default: stdout for disk boots, none with --kernel (as QEMU's -nographic; " +
                "give Linux console=ttyS0).",
            HelpName = "stdout|none",
        };
        option.AcceptOnlyFromAmong("stdout", "none");
        return option;
    }

    /// <summary>Whether the machine gets pc-testdev: as <c>--test-devices</c> says, else exactly when a kernel boots.</summary>
    public bool WantsTestDevices(ParseResult parse) =>
        parse.GetResult(TestDevices) is null ? HasKernel(parse) : parse.GetValue(TestDevices) ?? true;

    /// <summary>True when <c>--kernel</c> was given.</summary>
    public bool HasKernel(ParseResult parse) => parse.GetValue(Kernel) is not null;

    /// <summary>
    /// The kernel to boot on a machine with <paramref name="memoryMiB"/> of RAM, or null when no <c>--kernel</c> was given;
    /// <paramref name="error"/> is the one sentence when the kernel, a module or the options are unusable.
    /// </summary>
    public IKernelImage? Read(ParseResult parse, int memoryMiB, out string? error)
    {
        error = null;
        string? path = parse.GetValue(Kernel);
        if (path is null)
        {
            if (parse.GetResult(Append) is not null || parse.GetResult(Initrd) is not null) error = "--append and --initrd need --kernel FILE.";
            return null;
        }

        try
        {
            var file = KernelFile.Read(path, "--kernel");
            var arguments = new BootArguments(parse.GetValue(Append) ?? string.Empty, KernelModule.ReadList(parse.GetValue(Initrd)), new MemoryMap((ulong)memoryMiB << 20));
            return KernelDetector.Open(file, arguments);
        }
        catch (KernelLoadException ex)
        {
            error = ex.Message;
            return null;
        }
    }
}
