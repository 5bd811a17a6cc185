using Smp.Actors;
using Smp.Devices.Platform.Actors;
using Smp.Host.Guest;
using Smp.Host.Running;
using Smp.Host.Telemetry;

namespace Smp.Host.Tests.Gdb;

/// <summary>
/// A debugger changes nothing the simulation does: the built-in kernel on 4 CPUs, stopped by gdb at breakpoints on every
/// CPU, by watchpoints, by single steps and by a Ctrl-C, and continued each time, gives the same COM1 output, instruction
/// counts, message log and trace files as the same run without gdb.
/// </summary>
public sealed class GdbDeterminismTests
{
    private sealed record Run(string Com1, string Log, long[] Retired, long Instructions, byte[] Otlp, byte[] Chrome, StopReason Reason);

    private static Run Finish(GuestSessionResult result, string com1, MessageLog log, string otlp, string chrome) =>
        new(com1, log.ToString(), [.. result.Machine.Cpus.Select(c => c.Instructions)], result.Machine.Instructions,
            File.ReadAllBytes(otlp), File.ReadAllBytes(chrome), result.Machine.Reason);

    [Fact]
    public void Breakpoints_watchpoints_steps_and_ctrl_c_leave_com1_instruction_counts_message_log_and_trace_unchanged()
    {
        var dir = Directory.CreateTempSubdirectory("smp-gdb-determinism-");
        try
        {
            var log = new MessageLog();
            var com1 = new System.Text.StringBuilder();
            var plain = StubHost.Options(4, new TraceOptions(OtlpJsonPath: Path.Combine(dir.FullName, "a.json"), ChromeTracePath: Path.Combine(dir.FullName, "a.chrome.json"))) with { Recorder = log };
            var reference = Finish(GuestSession.Run(plain, b => com1.Append((char)b), TextWriter.Null), com1.ToString(), log,
                plain.Trace.OtlpJsonPath!, plain.Trace.ChromeTracePath!);

            var debuggedLog = new MessageLog();
            var trace = new TraceOptions(OtlpJsonPath: Path.Combine(dir.FullName, "b.json"), ChromeTracePath: Path.Combine(dir.FullName, "b.chrome.json"));
            var (task, port, _, debuggedCom1) = StubHost.Start(StubHost.Options(4, StubHost.WithStub(trace)) with { Recorder = debuggedLog });
            var stops = new List<string>();
            using (var gdb = new RspClient(port))
            {
                Assert.Contains("PacketSize=4000", gdb.Request("qSupported:swbreak+;hwbreak+"));
                Assert.Equal("OK", gdb.Request("QStartNoAckMode"));
                Assert.Equal("OK", gdb.Request($"Z0,{StubHost.Symbol("start_secondary"):x},1"));
                Assert.Equal("OK", gdb.Request($"Z1,{StubHost.Symbol("setup_local_APIC"):x},1"));
                Assert.Equal("OK", gdb.Request($"Z3,{KernelLayout.PerCpuArea(3) + KernelLayout.PerCpuNumber:x},8"));
                Assert.Equal("OK", gdb.Request($"Z2,{KernelLayout.CpuOnlineMask:x},8"));
                gdb.Send("vCont;c");
                gdb.Interrupt();
                while (true)
                {
                    var reply = gdb.ReadReply();
                    if (reply.StartsWith('W')) break;
                    Assert.Matches("^T0[25]thread:[1-4];core:[0-3];", reply);
                    stops.Add(reply);
                    Assert.Equal(2 * Smp.Host.Gdb.GdbTargetDescription.X86_64.GPacketBytes, gdb.Request("g").Length);
                    if (reply.Contains("swbreak", StringComparison.Ordinal))
                    {
                        string thread = reply.Split(';')[0][10..];
                        for (int i = 0; i < 3; i++) Assert.StartsWith($"T05thread:{thread};", gdb.Request($"vCont;s:{thread};c"));
                    }

                    gdb.Send("vCont;c");
                }
            }

            var result = task.GetAwaiter().GetResult();
            var debugged = Finish(result, debuggedCom1.ToString(), debuggedLog, trace.OtlpJsonPath!, trace.ChromeTracePath!);

            Assert.Equal(StopReason.AllIdle, reference.Reason);
            Assert.Contains("Brought up 1 node, 4 CPUs", reference.Com1);
            Assert.Equal(3, stops.Count(s => s.Contains("swbreak", StringComparison.Ordinal)));                 // start_secondary on each AP
            Assert.Equal(4, stops.Count(s => s.Contains("hwbreak", StringComparison.Ordinal)));                 // setup_local_APIC on each CPU
            Assert.Contains(stops, s => s.Contains($"rwatch:{KernelLayout.PerCpuArea(3) + KernelLayout.PerCpuNumber:x}", StringComparison.Ordinal));
            Assert.True(stops.Count(s => s.Contains("watch:", StringComparison.Ordinal) && !s.Contains("rwatch", StringComparison.Ordinal)) >= 4);
            Assert.Equal(reference.Com1, debugged.Com1);
            Assert.Equal(reference.Retired, debugged.Retired);
            Assert.Equal(reference.Instructions, debugged.Instructions);
            Assert.Equal(reference.Log, debugged.Log);
            Assert.Equal(reference.Otlp, debugged.Otlp);
            Assert.Equal(reference.Chrome, debugged.Chrome);
            Assert.Equal(reference.Reason, debugged.Reason);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
