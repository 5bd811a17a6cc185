using Smp.Devices.Platform.Firmware;
using System.Text;
using Smp.Actors;
using Smp.Devices.Platform.Actors;
using Smp.Host.Guest;
using Smp.Host.Running;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Boot;

/// <summary>
/// The whole boot on the Akka-hosted conductor is a pure function of the configuration and seed: COM1, the message log
/// (every delivery: time, sender, receiver, message) and the trace files are identical from run to run, for every CPU count.
/// </summary>
public sealed class BootDeterminismTests
{
    private static readonly KernelImage Kernel = KernelImage.Build();

    private static (string Com1, string Log, byte[] Otlp, byte[] Chrome) Boot(int cpus, ulong seed, DirectoryInfo dir, string tag)
    {
        var otlp = Path.Combine(dir.FullName, $"{tag}.json");
        var chrome = Path.Combine(dir.FullName, $"{tag}.chrome.json");
        var com1 = new StringBuilder();
        var log = new MessageLog();
        var options = new GuestSessionOptions(cpus, 128, seed, DiskImageSource.FromBytes(Kernel.Disk), "built-in kernel",
            Kernel.Symbols.Select(s => new KeyValuePair<string, ulong>(s.Name, s.Address)).ToArray(),
            new TraceOptions(OtlpJsonPath: otlp, ChromeTracePath: chrome), MaxSimulatedTime: 30_000_000_000, Recorder: log);
        var result = GuestSession.Run(options, b => com1.Append((char)b), TextWriter.Null);
        Assert.Equal(StopReason.AllIdle, result.Machine.Reason);
        return (com1.ToString(), log.ToString(), File.ReadAllBytes(otlp), File.ReadAllBytes(chrome));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(64)]
    public void The_same_seed_gives_identical_com1_message_log_and_trace_files(int cpus)
    {
        var dir = Directory.CreateTempSubdirectory("smp-determinism-");
        try
        {
            var first = Boot(cpus, 42, dir, "first");
            var second = Boot(cpus, 42, dir, "second");

            Assert.Contains($"Brought up 1 node, {cpus} CPU", first.Com1);
            Assert.Contains("/cpu0 -> /cpu0: RunQuantum", first.Log);
            if (cpus > 1) Assert.Contains($"/apicbus -> /cpu{cpus - 1}: StartupIpi", first.Log);
            Assert.Equal(first.Com1, second.Com1);
            Assert.Equal(first.Log, second.Log);
            Assert.Equal(first.Otlp, second.Otlp);
            Assert.Equal(first.Chrome, second.Chrome);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
