using Smp.Host.Guest;
using Smp.Host.Tests.Support;

namespace Smp.Host.Tests.Gdb;

/// <summary>
/// Debian's real gdb in batch mode against <c>smp boot --cpus 4 --wait-gdb --gdb tcp:127.0.0.1:0</c> with the kernel's
/// ELF symbol file: a breakpoint at start_secondary, 4 threads, the stopped CPU's gs_base, a frame-pointer backtrace,
/// stepi in the 16-bit trampoline, a watchpoint on a per-CPU variable, then the boot runs to its end with exit 0.
/// </summary>
public sealed class GdbBatchTests
{
    [GdbFact]
    public void Gdb_debugs_the_built_in_kernel_on_four_cpus_and_the_boot_ends_normally()
    {
        var dir = Directory.CreateTempSubdirectory("smp-gdb-batch-");
        try
        {
            string elf = Path.Combine(dir.FullName, "kernel.elf");
            File.WriteAllBytes(elf, ElfSymbolFile.Write(StubHost.Kernel));
            var (smp, port, err, stdout) = StubHost.StartCli("boot", "--cpus", "4", "--wait-gdb", "--gdb", "tcp:127.0.0.1:0");
            ulong cpu2Number = KernelLayout.PerCpuArea(2) + KernelLayout.PerCpuNumber;
            string script = string.Join('\n',
                "set pagination off",
                "set confirm off",
                $"symbol-file {elf}",
                $"target remote 127.0.0.1:{port}",
                "break start_secondary",
                "continue",
                "info threads",
                $"printf \"gs_base=%#lx per_cpu=%#lx\\n\", $gs_base, 0x{KernelLayout.PerCpu:x} + ($_thread - 1) * 0x{KernelLayout.PerCpuStride:x}",
                "break setup_local_APIC",
                "continue",
                "bt",
                "delete",
                "break trampoline_start",
                "continue",
                "monitor arch i386",
                "unset tdesc filename",
                "set architecture i8086",
                "x/i $pc",
                "stepi",
                "printf \"after stepi pc=%#x cs=%#x cr0=%#lx\\n\", $pc, $cs, $cr0",
                "set architecture auto",
                "monitor arch x86-64",
                "unset tdesc filename",
                "delete",
                $"rwatch *(long *)0x{cpu2Number:x}",
                "continue",
                "delete",
                "monitor info cpus",
                "continue",
                string.Empty);
            string scriptFile = Path.Combine(dir.FullName, "script.gdb");
            File.WriteAllText(scriptFile, script);
            CliResult gdb;
            try
            {
                gdb = Cli.RunShell($"{Cli.Quote(GdbFactAttribute.Path ?? "gdb")} -batch -nx -x {Cli.Quote(scriptFile)} 2>&1");
            }
            finally
            {
                // gdb failed or was killed: the machine would wait for a debugger for ever.
                if (!smp.Wait(TimeSpan.FromSeconds(30))) StubHost.Kill(port);
            }

            Assert.True(smp.Wait(TimeSpan.FromMinutes(1)), "smp did not end after gdb continued it");
            string output = gdb.Out;

            Assert.Equal(0, smp.Result);
            Assert.True(gdb.ExitCode == 0, $"gdb exited with {gdb.ExitCode}:\n{output}");
            Assert.Contains("Thread 2 hit Breakpoint 1, 0x", output);
            Assert.Contains("in start_secondary ()", output);
            Assert.Matches(@"\* 2\s+Thread 2 \(CPU 1 \(APIC 1\) Long64", output);
            Assert.Matches(@"\n\s+4\s+Thread 4 \(CPU 3 \(APIC 3\) Real, WaitForSipi\)", output);
            Assert.Contains($"gs_base=0x{KernelLayout.PerCpuArea(1):x} per_cpu=0x{KernelLayout.PerCpuArea(1):x}", output);   // CPU 1 stopped first
            Assert.Matches(@"#0 +0x[0-9a-f]+ in setup_local_APIC \(\)\n#1 +0x[0-9a-f]+ in smp_callin \(\)\n#2 +0x[0-9a-f]+ in start_secondary \(\)", output);
            Assert.Contains("Thread 3 hit Breakpoint 3, 0x0000000000008000 in trampoline_start ()", output);
            Assert.Contains("=> 0x8000 <trampoline_start>:\tcli", output);
            Assert.Contains("after stepi pc=0x8001 cs=0x800 cr0=0x60000010", output);
            Assert.Contains($"Hardware read watchpoint 4: *(long *)0x{cpu2Number:x}", output);
            Assert.Contains("Value = 2", output);
            Assert.Contains("[Inferior 1 (Remote target) exited normally]", output);
            Assert.DoesNotContain("internal-error", output);
            Assert.Contains("Brought up 1 node, 4 CPUs", stdout.ToString());
            Assert.Contains("smp boot: all 4 CPUs online and idle.", err.Text);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
