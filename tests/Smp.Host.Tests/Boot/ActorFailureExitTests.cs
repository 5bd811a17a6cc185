using System.Diagnostics;
using Smp.Actors;
using Smp.Host.Guest;

namespace Smp.Host.Tests.Boot;

/// <summary>
/// An exception inside an actor ends the process with the report and exit code 70: no hang, no restart. The fault is
/// injected into the actor's handler by <c>SMP_INJECT_FAULT</c> in a child <c>smp</c> process (an environment variable
/// set in this process would reach the other tests' machines).
/// </summary>
public sealed class ActorFailureExitTests
{
    private static (int Code, string Err) RunSmp(string fault, params string[] args)
    {
        var smp = Path.Combine(AppContext.BaseDirectory, "smp.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(smp);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment[FaultInjection.Variable] = fault;
        using var process = Process.Start(start)!;
        var err = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();

        // Only a bound against hanging forever, not a timing assertion.
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("smp hung after an actor failure");
        }

        output.Wait();
        return (process.ExitCode, err.Result);
    }

    [Fact]
    public void A_cpu_actor_that_throws_on_its_sipi_stops_smp_boot_with_the_report_and_exit_70()
    {
        var (code, err) = RunSmp("cpu1:StartupIpi", "boot", "--cpus", "2");

        Assert.Equal(70, code);
        Assert.Contains("smp boot: The simulator failed at", err);
        Assert.Contains("/cpu1 failed while handling StartupIpi", err);     // actor path and message
        Assert.Contains("fault injected by SMP_INJECT_FAULT", err);         // the exception
        Assert.Matches(@"at t=\d+(\.\d+)? ms", err);                        // simulated time
        Assert.Contains("CPU1 (APIC 1) WaitForSipi Real", err);             // CPU state: never restarted into a fresh core
        Assert.Contains("CPU0 (APIC 0) Running Long64", err);
        Assert.DoesNotContain("Exception:", err.Replace("InvalidOperationException:", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void The_apic_bus_throwing_stops_smp_run_with_exit_70()
    {
        var image = Path.Combine(Path.GetTempPath(), $"smp-fault-{Environment.ProcessId}.img");
        File.WriteAllBytes(image, KernelImage.Build().Disk);
        try
        {
            var (code, err) = RunSmp("apicbus:Ipi", "run", "--disk", image, "--cpus", "2");

            Assert.Equal(70, code);
            Assert.Contains("/apicbus failed while handling Ipi", err);
            Assert.Contains("CPU1 (APIC 1) WaitForSipi", err);
        }
        finally
        {
            File.Delete(image);
        }
    }
}
