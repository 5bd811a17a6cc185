using System.Diagnostics;
using Iced.Intel;
using Smp.Actors;
using Smp.Devices.Cpu;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Firmware;
using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Pc.GuestBuilder;
using MachineType = Smp.Devices.Platform.Machine;

namespace Smp.Devices.Tests.Platform.Pc;

public sealed class MachineTests(ITestOutputHelper output)
{
    private static MachineResult Run(MachineConfig config, Action<Assembler> bsp32, Action<MachineType>? check = null, Action<MachineType>? setup = null)
    {
        using var machine = new MachineType(config);
        Load(machine, bsp32);
        setup?.Invoke(machine);
        var result = machine.Run();
        check?.Invoke(machine);
        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(64)]
    public void Init_sipi_sipi_brings_up_every_ap_once_with_its_own_gdt_and_gs_base(int cpus)
    {
        var watch = Stopwatch.StartNew();
        var result = Run(GuestBuilder.Config(cpus), a =>
        {
            BringUp(a, cpus - 1);
            a.mov(eax, __dword_ptr[Counter]);
            a.@out(0xF4, al);
            a.hlt();
        }, machine =>
        {
            ulong bitmap = machine.Memory.Read(Bitmap, 8);
            ulong expected = cpus == 64 ? ulong.MaxValue - 1 : ((1UL << cpus) - 1) & ~1UL;
            Assert.Equal(expected, bitmap);
            Assert.Equal((ulong)(cpus - 1), machine.Memory.Read(Counter, 4)); // the second SIPI started nobody twice
            for (int i = 1; i < cpus; i++)
            {
                var core = machine.Cores[i];
                Assert.Equal(RunState.Halted, core.State);
                Assert.Equal(CpuMode.Protected32, core.Mode);
                Assert.Equal(PerCpuGdt + (ulong)i * 0x100, core.Gdtr.Base);
                Assert.Equal(PerCpuArea + (ulong)i * 0x1000, core.Segs[Seg.GS].Base);
                Assert.Equal((ulong)i, machine.Memory.Read(PerCpuArea + (ulong)i * 0x1000, 4));
            }
        });
        output.WriteLine($"{cpus} CPUs: {watch.ElapsedMilliseconds} ms wall, {result.SimulatedNanoseconds} ns simulated, {result.Instructions} instructions, {result.HostSteps} quanta");
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(((cpus - 1) << 1) | 1, result.ExitCode);
    }

    [Fact]
    public void Fixed_ipis_by_shorthand_and_logical_destination_are_delivered_and_eoi_clears_the_isr()
    {
        var config = GuestBuilder.Config(1);
        var result = Run(config, a =>
        {
            a.lidt(__[IdtDescriptor]);
            a.mov(__dword_ptr[0xFEE000E0], 0xFFFF_FFFF); // flat model
            a.mov(__dword_ptr[0xFEE000D0], 0x0100_0000); // logical ID bit 0
            a.sti();
            Icr(a, 0x0004_4040); // self, fixed 0x40
            var wait1 = a.CreateLabel();
            a.Label(ref wait1);
            a.cmp(__dword_ptr[0x5100], 1);
            a.jne(wait1);
            a.mov(__dword_ptr[0xFEE00310], 0x0100_0000);
            Icr(a, 0x0000_4841); // logical MDA 1, fixed 0x41
            var wait2 = a.CreateLabel();
            a.Label(ref wait2);
            a.cmp(__dword_ptr[0x5108], 1);
            a.jne(wait2);
            Exit(a, 0x11);
        }, machine =>
        {
            Assert.False(machine.Apics[0].IsInService(0x40));
            Assert.False(machine.Apics[0].IsInService(0x41));
            Assert.Equal(0u, machine.Apics[0].Ppr);
        }, machine =>
        {
            ulong h40 = 0xB000, h41 = 0xB100;
            machine.Memory.Load(h40, Assemble(32, h40, a =>
            {
                a.inc(__dword_ptr[0x5100]);
                a.mov(__dword_ptr[0xFEE000B0], 0);
                a.iretd();
            }));
            machine.Memory.Load(h41, Assemble(32, h41, a =>
            {
                a.inc(__dword_ptr[0x5108]);
                a.mov(__dword_ptr[0xFEE000B0], 0);
                a.iretd();
            }));
            Gate(machine.Memory, 0x40, h40);
            Gate(machine.Memory, 0x41, h41);
        });
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(0x23, result.ExitCode);
    }

    [Fact]
    public void Nmi_ipi_to_another_cpu_by_physical_id_wakes_it_from_hlt()
    {
        var result = Run(GuestBuilder.Config(2), a =>
        {
            BringUp(a, 1);
            // The AP sleeps in HLT with IF = 0; an NMI (vector-less) wakes it and its handler reports.
            a.mov(__dword_ptr[0xFEE00310], 0x0100_0000);
            Icr(a, 0x0000_4400); // NMI to APIC 1
            var wait = a.CreateLabel();
            a.Label(ref wait);
            a.cmp(__dword_ptr[0x5104], 1);
            a.jne(wait);
            Exit(a, 0x22);
        }, setup: machine =>
        {
            ulong handler = 0xB200;
            machine.Memory.Load(handler, Assemble(32, handler, a =>
            {
                a.@lock.inc(__dword_ptr[0x5104]);
                a.iretd();
            }));
            Gate(machine.Memory, 2, handler);
        });
        Assert.True(result.Reason == StopReason.DebugExit, result.Report());
        Assert.Equal(0x45, result.ExitCode);
    }

    [Fact]
    public void Self_nmi_through_the_icr_runs_the_nmi_handler()
    {
        var result = Run(GuestBuilder.Config(1), a =>
        {
            a.lidt(__[IdtDescriptor]);
            Icr(a, 0x0004_4400); // self, NMI
            var wait = a.CreateLabel();
            a.Label(ref wait);
            a.cmp(__dword_ptr[0x5104], 1);
            a.jne(wait);
            Exit(a, 0x05);
        }, machine => Assert.False(machine.Cores[0].NmiBlocked), machine =>
        {
            ulong handler = 0xB200;
            machine.Memory.Load(handler, Assemble(32, handler, a =>
            {
                a.inc(__dword_ptr[0x5104]);
                a.iretd();
            }));
            Gate(machine.Memory, 2, handler);
        });
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(0x0B, result.ExitCode);
    }

    [Fact]
    public void Triple_fault_stops_the_run_with_a_shutdown_report()
    {
        var result = Run(GuestBuilder.Config(2), a =>
        {
            a.lidt(__[0x3810]); // limit 0: every vector faults
            a.ud2();
        }, setup: machine => machine.Memory.Write(0x3810, 8, 0));
        Assert.Equal(StopReason.Shutdown, result.Reason);
        Assert.Equal(0, result.ShutdownCpu);
        Assert.Equal(RunState.Shutdown, result.Cpus[0].State);
        string report = result.Report();
        output.WriteLine(report);
        Assert.Contains("CPU0", report);
        Assert.Contains("triple fault", report);
        Assert.Contains("Protected32", report);
    }

    [Fact]
    public void Budget_exhaustion_reports_every_cpu()
    {
        var result = Run(GuestBuilder.Config(2, budget: 10_000), a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.jmp(loop);
        });
        Assert.Equal(StopReason.BudgetExhausted, result.Reason);
        Assert.Equal(10_000, result.Instructions);
        Assert.Equal(RunState.WaitForSipi, result.Cpus[1].State);
        Assert.Contains("CPU1 (APIC 1) WaitForSipi", result.Report());
    }

    [Fact]
    public void Every_cpu_idle_ends_the_run()
    {
        var result = Run(GuestBuilder.Config(4), a =>
        {
            a.cli();
            a.hlt();
        });
        Assert.Equal(StopReason.AllIdle, result.Reason);
        Assert.Equal(RunState.Halted, result.Cpus[0].State);
    }

    [Fact]
    public void A_cpu_halted_for_one_simulated_second_costs_few_host_steps()
    {
        var result = Run(GuestBuilder.Config(2), a =>
        {
            a.lidt(__[IdtDescriptor]);
            a.mov(__dword_ptr[0xFEE003E0], 0xB);     // divide by 1
            a.mov(__dword_ptr[0xFEE00320], 0x40);    // one-shot, vector 0x40
            a.mov(__dword_ptr[0xFEE00380], 1_000_000_000); // 1 s
            a.sti();
            a.hlt();
            a.cmp(__dword_ptr[0x5100], 1);
            var bad = a.CreateLabel();
            a.jne(bad);
            Exit(a, 0x07);
            a.Label(ref bad);
            Exit(a, 0x01);
        }, setup: machine =>
        {
            ulong handler = 0xB000;
            machine.Memory.Load(handler, Assemble(32, handler, a =>
            {
                a.inc(__dword_ptr[0x5100]);
                a.mov(__dword_ptr[0xFEE000B0], 0);
                a.iretd();
            }));
            Gate(machine.Memory, 0x40, handler);
        });
        output.WriteLine($"{result.HostSteps} quanta for {result.SimulatedNanoseconds} ns");
        Assert.Equal(0x0F, result.ExitCode);
        Assert.InRange(result.SimulatedNanoseconds, 1_000_000_000, 1_000_100_000);
        Assert.InRange(result.HostSteps, 1, 200);
    }

    [Fact]
    public void Same_config_gives_the_same_com1_output_and_message_log()
    {
        (string Com1, string Log) Once()
        {
            var com1 = new List<byte>();
            var log = new MessageLog();
            var config = GuestBuilder.Config(4) with { Console = com1.Add, Recorder = log, BusLatency = 300 };
            var result = Run(config, a =>
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
            Assert.Equal(7, result.ExitCode);
            return (System.Text.Encoding.ASCII.GetString([.. com1]), log.ToString());
        }

        var first = Once();
        var second = Once();
        Assert.Equal("up\n", first.Com1);
        Assert.Equal(first, second);
        Assert.Contains("StartupIpi { Vector = 7 }", first.Log);
        Assert.Contains("InitIpi", first.Log);
    }

    [Fact]
    public void Bios_trap_calls_the_bios_services_and_resumes_after_iret()
    {
        var calls = new List<(int Cpu, ushort Port, byte Ah)>();
        IReadOnlyList<E820Entry>? map = null;
        var config = GuestBuilder.Config(1) with
        {
            BiosServices = context =>
            {
                map = context.E820;
                return new FakeBios(calls);
            },
        };
        using var machine = new MachineType(config);
        Load(machine, _ => { });
        machine.Memory.Write(0x10 * 4, 4, (0xF000UL << 16) | StubOffset); // IVT[0x10] = F000:F000 (the ROM stub)
        machine.Memory.Load(RealEntry, Assemble(16, RealEntry, a =>
        {
            a.xor(ax, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            a.mov(ax, 0x0E41);
            a.@int(0x10);
            a.mov(ax, bx);
            a.@out(0xF4, al);
            a.hlt();
        }));
        var result = machine.Run();
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal((0x34 << 1) | 1, result.ExitCode);
        Assert.Equal([(0, BiosTrap.TrapPortBase, (byte)0x0E)], calls);
        Assert.Equal(machine.Platform.Map.E820, map);
    }

    [Fact]
    public void An_actor_failure_stops_the_run_with_its_report()
    {
        var config = GuestBuilder.Config(1) with { BiosServices = _ => throw new InvalidOperationException("broken BIOS") };
        using var machine = new MachineType(config);
        Load(machine, _ => { });
        var result = machine.Run();
        Assert.Equal(StopReason.ActorFailure, result.Reason);
        Assert.Contains("broken BIOS", result.Report());
        Assert.Contains("/bios", result.Report());
        Assert.Contains("handling MemoryMapReply", result.Report()); // the message being handled
    }

    [Fact]
    public void Parallel_dispatcher_brings_up_eight_cpus()
    {
        var result = Run(GuestBuilder.Config(8) with { Parallel = true }, a =>
        {
            BringUp(a, 7);
            Exit(a, 7);
        }, machine => Assert.Equal(0xFEUL, machine.Memory.Read(Bitmap, 8)));
        Assert.Equal(StopReason.DebugExit, result.Reason);
        Assert.Equal(0x0F, result.ExitCode);
    }

    private sealed class FakeBios(List<(int, ushort, byte)> calls) : IBiosServices
    {
        public void Handle(int cpu, ushort trapPort, ref BiosRegisters registers)
        {
            calls.Add((cpu, trapPort, registers.Ah));
            registers.Ebx = 0x1234;
        }
    }
}
