using Smp.Actors;
using Smp.Devices.Cpu.Debugger;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Pc;

public sealed class MachineDebuggerTests
{
    private sealed record Outcome(string Com1, string Log, long[] Retired, int? ExitCode, List<(int Cpu, DebugStop Stop)> Stops, int Pauses);

    /// <summary>Records deliveries and, when asked, pauses the machine after every one of them (a Ctrl-C storm).</summary>
    private sealed class Recorder : IMessageRecorder
    {
        public MessageLog Log { get; } = new();

        public MachineDebugger? PauseEveryDelivery { get; set; }

        public void Record(long time, string senderPath, string receiverPath, object message)
        {
            Log.Record(time, senderPath, receiverPath, message);
            PauseEveryDelivery?.RequestPause();
        }
    }

    // Four CPUs: the BSP brings up three APs, prints "up" on COM1 and exits with 3 through port 0xF4.
    private static Outcome Run(Action<MachineType, MachineDebugger>? attach = null, Action<MachineDebugger, int>? onPause = null, bool pauseStorm = false)
    {
        var com1 = new List<byte>();
        var recorder = new Recorder();
        var config = Config(4) with { Console = com1.Add, Recorder = recorder, BusLatency = 300 };
        using var machine = new MachineType(config);
        Load(machine, a =>
        {
            BringUp(a, 3);
            foreach (char ch in "up\n")
            {
                a.mov(dx, 0x3F8);
                a.mov(al, (byte)ch);
                a.@out(dx, al);
            }

            Exit(a, 3);
        });
        var stops = new List<(int, DebugStop)>();
        int pauses = 0;
        MachineDebugger? debugger = null;
        if (attach is not null)
        {
            debugger = machine.AttachDebugger();
            attach(machine, debugger);
            debugger.PointsChanged();
            if (pauseStorm) recorder.PauseEveryDelivery = debugger;
        }

        machine.PowerOn();
        MachineResult result;
        while (true)
        {
            result = machine.Continue(config.MaxSimulatedTime);
            if (debugger is not { IsPaused: true }) break;
            pauses++;
            var now = debugger.Stops();
            stops.AddRange(now);
            debugger.PrepareResume(now.Count > 0 ? now[0].Cpu : null);
            onPause?.Invoke(debugger, pauses);
        }

        Assert.Equal(StopReason.DebugExit, result.Reason);
        return new Outcome(System.Text.Encoding.ASCII.GetString([.. com1]), recorder.Log.ToString(),
            [.. machine.Cores.Select(c => c.InstructionsRetired)], result.ExitCode, stops, pauses);
    }

    [Fact]
    public void Breakpoints_hit_on_every_cpu_and_continued_leave_com1_the_message_log_and_instruction_counts_unchanged()
    {
        var reference = Run();
        var debugged = Run((machine, debugger) =>
        {
            debugger.Points.AddBreakpoint(Trampoline, hardware: false);   // real mode, linear CS base + IP
            debugger.Points.AddBreakpoint(Ap32 + 7, hardware: true);      // mid-block in 32-bit code
            debugger.Points.AddWatchpoint(new Watchpoint(Counter, 4, WatchKind.Write));
        });

        Assert.Equal("up\n", debugged.Com1);
        Assert.Equal(reference.Com1, debugged.Com1);
        Assert.Equal(reference.Log, debugged.Log);
        Assert.Equal(reference.Retired, debugged.Retired);
        Assert.Equal(reference.ExitCode, debugged.ExitCode);
        Assert.Equal(3, debugged.Stops.Count(s => s.Stop.Kind == DebugStopKind.Breakpoint && s.Stop.LinearIp == Trampoline));
        Assert.Equal([1, 2, 3], debugged.Stops.Where(s => s.Stop.LinearIp == Ap32 + 7).Select(s => s.Cpu).Order());
        Assert.Equal(3, debugged.Stops.Count(s => s.Stop.Kind == DebugStopKind.Watchpoint));
        Assert.Equal(debugged.Stops.Count, debugged.Pauses);
    }

    [Fact]
    public void Pausing_between_every_two_envelopes_and_single_stepping_change_nothing()
    {
        var reference = Run();
        int steps = 0;
        var debugged = Run((_, debugger) => debugger.Points.AddBreakpoint(Ap32, hardware: false), (debugger, pause) =>
        {
            // From the first breakpoint on, every second resume single-steps CPU 2 (a deterministic schedule).
            if (pause % 2 == 0 && steps < 40)
            {
                debugger.Step(2);
                steps++;
            }
        }, pauseStorm: true);

        Assert.Equal(reference.Com1, debugged.Com1);
        Assert.Equal(reference.Log, debugged.Log);
        Assert.Equal(reference.Retired, debugged.Retired);
        int deliveries = reference.Log.Split('\n').Length;
        Assert.True(debugged.Pauses >= deliveries, $"{debugged.Pauses} pauses for {deliveries} deliveries");
        Assert.Contains(debugged.Stops, s => s.Cpu == 2 && s.Stop.Kind == DebugStopKind.Step);
    }
}
