using System.CommandLine;
using Smp.Host.Bench;

namespace Smp.Host.Commands;

/// <summary><c>smp bench</c>: measurements printed to stdout (benchmarks measure progress; they assert nothing).</summary>
internal static class BenchCommand
{
    // Each round is two Linux boots (about 20 s here): ten are already several minutes.
    private const int MaxLinuxRounds = 10;

    /// <summary>Creates the command and its subcommands.</summary>
    /// <param name="context">Where the command writes.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var actors = new Command(
            "actors",
            "Raw Akka.NET message throughput and the simulated-time layer's events per second (deterministic and parallel mode), " +
            "for ping-pong between two actors and fan-out from one actor to 1000. The last two lines are 'akka_msgs_per_sec: N' " +
            "and 'sim_events_per_sec: N' (ping-pong).");
        actors.SetAction(_ => context.Guard("smp bench actors", () => ActorBench.Run(context.Out)));

        var cpu = new Command(
            "cpu",
            "Guest instructions per second of the CPU core, one CPU in 64-bit mode: per class of instructions (alu, loads, stores, " +
            "branches, calls, strings, the mixed loop, the p01 loop) the interpreter against the JIT (MIPS per host CPU second, " +
            "best of 3), then the mixed loop with the JIT, five rounds of 100 M instructions. The last line is 'mips: N' (best round, wall clock).");
        cpu.SetAction(_ => context.Guard("smp bench cpu", () => CpuBench.Run(context.Out)));

        var loop = new Command(
            "loop",
            "The p01 loop (16 instructions per iteration) in a Multiboot kernel run by 'smp run --kernel' and, when installed, by " +
            "qemu-system-x86_64 with TCG, in the same run; MIPS from the difference of the child processes' CPU times for a short " +
            "and a long run (start-up cancels out). The last line is 'ratio: R' (smp / QEMU), or 'smp_mips: N' without QEMU.");
        loop.SetAction(_ => context.Guard("smp bench loop", () => LoopBench.Run(context.Out, context.Err)));

        var com1 = new Command(
            "com1",
            "A guest writing 17 MiB to COM1 (polling the line status register before each byte) under 'smp run --kernel' and, " +
            "when installed, QEMU TCG: MiB per host CPU second from a short and a long run. The last line is 'ratio: R' (smp / QEMU), " +
            "or 'smp_mib_per_sec: N' without QEMU.");
        com1.SetAction(_ => context.Guard("smp bench com1", () => LoopBench.RunCom1(context.Out, context.Err)));

        var boot = new Command(
            "boot",
            "Wall time from machine creation to every CPU idle for the built-in kernel with 1, 4, 16 and 64 CPUs (best of three, " +
            "after 0.6 s of warm-up boots so that .NET has optimised the simulator's own code), " +
            "beside QEMU TCG's time from start to \"Brought up\" on the same image when qemu-system-x86_64 is installed, " +
            "and the cost of tracing a 4-CPU boot. The last line is 'boot64_ms: N'.");
        boot.SetAction(_ => context.Guard("smp bench boot", () => BootBench.Run(context.Out, context.Err)));

        var stress = new Command(
            "stress",
            "Stress scenarios per second on short scenarios (linux handlers, 2 CPUs, every scenario kind), one boot and snapshot, " +
            "each scenario restored from it. The last line is 'scenarios_per_sec: N' (best of three rounds).");
        stress.SetAction(_ => context.Guard("smp bench stress", () => StressBench.Run(context.Out)));

        var linuxKernel = new Option<FileInfo>("--kernel")
        {
            Description = "The Linux bzImage to boot (Debian's vmlinuz-6.1.*-amd64, for example).",
            HelpName = "FILE",
            Required = true,
        };
        var linuxCpus = MachineOptions.Cpus(4, Devices.Platform.MachineConfig.MaxCpus, "xAPIC IDs are 8 bits and 255 is the broadcast ID");
        var linuxRounds = new Option<int>("--rounds")
        {
            Description = $"Boot under smp and under QEMU this many times, alternately, and report the medians (1..{MaxLinuxRounds}); " +
                "on a busy host one boot can take a quarter longer than the next. Rounds after the first run in a process whose own " +
                "code .NET has already optimised (about a tenth faster here); the first is what 'smp run' costs.",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
            CustomParser = result => (int)MachineOptions.ParseInRange(result, "--rounds", 1, MaxLinuxRounds, string.Empty),
        };
        var linux = new Command(
            "linux",
            "Wall time for a Linux bzImage with the test initramfs ('" + LinuxBench.CommandLine + "', 512 MiB) to print '" + LinuxBench.BroughtUp +
            "' and to power off, under smp and side by side under QEMU TCG (-kernel, same kernel, initrd and CPUs) in the same run, " +
            "and what smp's translator compiled. Every round compiles the guest's code from nothing. " +
            "The last lines are 'linux_power_off_ratio: R' (smp/QEMU, when QEMU ran), 'linux_brought_up_s: N' and 'linux_power_off_s: N' " +
            "(smp's; medians over the rounds).")
        {
            linuxKernel,
            linuxCpus,
            linuxRounds,
        };
        linux.SetAction(parse => context.Guard("smp bench linux",
            () => LinuxBench.Run(context.Out, context.Err, parse.GetValue(linuxKernel)!.FullName, parse.GetValue(linuxCpus), parse.GetValue(linuxRounds))));

        return new Command("bench", "Measure the simulator: message throughput, guest MIPS (also against QEMU), boot time, stress rate. Results go to stdout.")
        {
            actors,
            cpu,
            loop,
            com1,
            boot,
            stress,
            linux,
        };
    }
}
