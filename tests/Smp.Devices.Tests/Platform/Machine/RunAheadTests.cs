using Iced.Intel;
using Smp.Actors;
using Smp.Devices.Platform;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>
/// A CPU that runs alone is given the quanta up to the next thing due in one run (CpuActor.RunAhead). The guest must not
/// be able to tell: its timer interrupts arrive at the same instructions, its device accesses and the messages they
/// cause happen at the same simulated times, and the run ends the same, as when every quantum is a run of its own.
/// </summary>
public sealed class RunAheadTests
{
    private const ulong Ticks = 0x5200, Samples = 0x5300, Clocks = 0x5400, Handler = 0xB000, UdHandler = 0xB100;
    private const int TickCount = 24;

    private sealed record Outcome(MachineResult Result, ulong[] Samples, string Com1, string Log, long Quanta, long Runs);

    // The BSP counts in EBX while the APIC timer interrupts it periodically; each tick stores the count and the TSC.
    // Every 2,048 counts a UD2 raises #UD, whose handler touches no device.
    // Every 16,384 counts the loop itself reads the PIT and the TSC and writes COM1 (devices reached in the middle of a
    // run ahead); once, half-way between two of those, it sends a fixed IPI through the ICR (a message sent from
    // the middle of a run ahead).
    private static Outcome Run(bool runAhead, int cpus = 1)
    {
        var com1 = new List<byte>();
        var log = new MessageLog();
        var config = Config(cpus) with { RunAhead = runAhead, Console = com1.Add, Recorder = log };
        using var machine = new MachineType(config);
        Load(machine, a =>
        {
            if (cpus > 1) BringUp(a, cpus - 1);
            a.lidt(__[IdtDescriptor]);
            a.mov(__dword_ptr[0xFEE000F0], 0x1FF);          // APIC software enable
            a.mov(__dword_ptr[0xFEE003E0], 0xB);            // divide by 1
            a.mov(__dword_ptr[0xFEE00320], 0x20040);        // periodic, vector 0x40
            a.mov(__dword_ptr[0xFEE00380], 37_813);         // ticks every 37.813 µs: not on a quantum boundary
            a.mov(__dword_ptr[0xFEE00310], 0x0100_0000);    // IPIs to APIC 1 (an AP in HLT with IF = 0, or nobody)
            a.xor(ebx, ebx);
            a.xor(esi, esi);
            a.sti();
            var spin = a.CreateLabel();
            var other = a.CreateLabel();
            var quiet = a.CreateLabel();
            a.Label(ref spin);
            a.inc(ebx);
            a.test(ebx, 0x3FFF);
            a.jnz(other);
            a.@in(al, 0x40);                                 // PIT channel 0 counter
            a.rdtsc();                                       // the clock, to the instruction
            a.mov(__dword_ptr[esi * 4 + (int)Clocks], eax);
            a.and(al, 0x0F);
            a.add(al, (byte)'a');
            a.mov(dx, 0x3F8);
            a.@out(dx, al);
            a.inc(esi);
            a.Label(ref other);
            var noFault = a.CreateLabel();
            a.mov(eax, ebx);
            a.and(eax, 0x7FF);
            a.cmp(eax, 0x400);
            a.jne(noFault);
            a.ud2();                                         // #UD: an event that uses budget without moving the clock
            a.Label(ref noFault);
            a.cmp(ebx, 3 * 16384 + 8192);
            a.jne(quiet);
            a.mov(__dword_ptr[0xFEE00300], 0x0000_4041);    // fixed IPI, vector 0x41: a message on the APIC bus
            a.Label(ref quiet);
            a.cmp(__dword_ptr[Ticks], TickCount);
            a.jb(spin);
            a.cli();
            Exit(a, 0x11);
        });
        machine.Memory.Load(Handler, Assemble(32, Handler, a =>
        {
            a.mov(eax, __dword_ptr[Ticks]);
            a.mov(__dword_ptr[eax * 4 + (int)Samples], ebx);
            a.mov(ecx, eax);
            a.rdtsc();
            a.mov(__dword_ptr[ecx * 4 + (int)Samples + 0x80], eax);
            a.mov(eax, ecx);
            a.inc(__dword_ptr[Ticks]);
            a.mov(__dword_ptr[0xFEE000B0], 0);              // EOI
            a.iretd();
        }));
        machine.Memory.Load(UdHandler, Assemble(32, UdHandler, a =>
        {
            a.add(__dword_ptr[esp], 2);                     // past the UD2
            a.iretd();
        }));
        Gate(machine.Memory, 6, UdHandler);
        Gate(machine.Memory, 0x40, Handler);
        var result = machine.Run();
        var samples = Enumerable.Range(0, TickCount).Select(i => machine.Memory.Read(Samples + (ulong)i * 4, 4))
            .Concat(Enumerable.Range(0, TickCount).Select(i => machine.Memory.Read(Samples + 0x80 + (ulong)i * 4, 4)))
            .Concat(Enumerable.Range(0, 32).Select(i => machine.Memory.Read(Clocks + (ulong)i * 4, 4))).ToArray();
        return new Outcome(result, samples, System.Text.Encoding.ASCII.GetString([.. com1]), log.ToString(), result.HostSteps, machine.Control.Reservations);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Running_ahead_gives_the_same_interrupts_devices_messages_and_end_as_quantum_by_quantum(int cpus)
    {
        var stepwise = Run(runAhead: false, cpus);
        var ahead = Run(runAhead: true, cpus);

        Assert.Equal(0x23, stepwise.Result.ExitCode);
        Assert.All(stepwise.Samples.Take(2 * TickCount + 5), s => Assert.NotEqual(0UL, s));
        Assert.Contains("Vector = 65", stepwise.Log);
        Assert.True(stepwise.Com1.Length >= 5, stepwise.Com1);
        Assert.Equal(stepwise.Samples, ahead.Samples);
        Assert.Equal(stepwise.Com1, ahead.Com1);
        Assert.Equal(stepwise.Log, ahead.Log);
        Assert.Equal(stepwise.Result.ExitCode, ahead.Result.ExitCode);
        Assert.Equal(stepwise.Result.Instructions, ahead.Result.Instructions);
        Assert.Equal(stepwise.Result.SimulatedNanoseconds, ahead.Result.SimulatedNanoseconds);
        Assert.Equal(stepwise.Result.Cpus.Select(c => c.Instructions), ahead.Result.Cpus.Select(c => c.Instructions));
    }

    [Fact]
    public void A_cpu_running_alone_runs_many_quanta_per_run()
    {
        var ahead = Run(runAhead: true);
        var stepwise = Run(runAhead: false);

        // Quanta are counted the same either way; what running ahead saves is the core's run per quantum, which shows
        // in the budget reservations: one per stretch between ticks and device accesses instead of one per microsecond.
        Assert.Equal(stepwise.Quanta, ahead.Quanta);
        Assert.True(ahead.Runs * 5 < stepwise.Runs, $"{ahead.Runs} runs ahead against {stepwise.Runs} quantum by quantum");
    }
}
