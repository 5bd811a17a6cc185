using Akka.Actor;
using Smp.Actors;
using Smp.Actors.TestKit;
using Smp.Devices.Cpu;
using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Apic;
using Smp.Devices.Tests.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Platform.Pc;

public sealed class CpuActorTests
{
    [Fact]
    public void Icr_write_by_guest_code_becomes_an_ipi_message_to_the_bus()
    {
        using var kit = new SimTestKit();
        using var m = TestMachine.Protected32();
        var bus = kit.CreateTestProbe("bus");
        var monitor = kit.CreateTestProbe("monitor");
        m.Load(a =>
        {
            a.mov(__dword_ptr[0xFEE00310], 0x0500_0000);
            a.mov(__dword_ptr[0xFEE00300], 0x0000_4031);
            a.hlt();
        });
        var apic = new LocalApic(0, () => 0);
        var wiring = new CpuWiring { Bus = bus.Ref, Monitor = monitor.Ref };
        var cpu = kit.Sim.ActorOf(Props.Create(() => new CpuActor(0, m.Cpu, apic, wiring)), "cpu0");
        kit.Sim.Tell(cpu, new RunQuantum(SimTime.Microsecond));
        var ipi = bus.ExpectMsg<Ipi>();
        Assert.Equal(new Ipi(0, ApicDestination.Physical(5), DeliveryMode.Fixed, 0x31, false, true), ipi);
        monitor.ExpectMsg(new CpuHalted(0));
        Assert.Equal(RunState.Halted, m.Cpu.State);
    }

    [Fact]
    public void Halted_cpu_wakes_on_a_fixed_interrupt_and_its_clock_jumps_to_the_message_time()
    {
        using var kit = new SimTestKit();
        using var m = TestMachine.Protected32();
        m.Load(a =>
        {
            a.sti();
            a.hlt();
            a.hlt();
        });
        var apic = new LocalApic(0, () => 0);
        apic.WriteRegister(0xF0, 0x1FF);
        var cpu = kit.Sim.ActorOf(Props.Create(() => new CpuActor(0, m.Cpu, apic, new CpuWiring())), "cpu0");
        kit.Sim.Tell(cpu, new RunQuantum(SimTime.Microsecond));
        kit.RunUntilIdle();
        Assert.Equal(RunState.Halted, m.Cpu.State);
        kit.Sim.ScheduleTell(5 * SimTime.Millisecond, cpu, new FixedInterrupt(0x40, false));
        kit.RunUntilIdle();
        Assert.True(m.Cpu.SimulatedNanoseconds >= 5 * SimTime.Millisecond);
        Assert.True(apic.IsInService(0x40)); // accepted (the IDT is empty: the test only checks the wake-up path)
    }
}
