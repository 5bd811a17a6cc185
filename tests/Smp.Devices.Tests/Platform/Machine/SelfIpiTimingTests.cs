using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Platform.Apic;
using Smp.Devices.Tests.Cpu;
using Smp.Devices.Tests.Cpu.Events;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>
/// Interrupts a CPU raises for itself are taken at the very next instruction boundary (SDM Vol. 3A §10.6.1,
/// §10.5.4.1): a self-NMI or self-IPI through the ICR, the x2APIC SELF IPI register, and an IA32_TSC_DEADLINE
/// write whose target has passed. The instruction after the write never runs first.
/// </summary>
public sealed class SelfIpiTimingTests
{
    // The local APIC wired to the core the way the CPU actor wires it.
    private static LocalApic Attach(TestMachine m)
    {
        var c = m.Cpu;
        var apic = new LocalApic(0, () => c.SimulatedNanoseconds) { Core = c };
        c.LocalApicMmio = apic;
        c.LocalApicRegisters = apic;
        c.InterruptSource = apic;
        apic.NmiRequested += c.InjectNmi;
        return apic;
    }

    private static (TestMachine M, RecordingObserver Obs, LocalApic Apic) LongModeX2Apic()
    {
        var obs = new RecordingObserver();
        var m = EventRig.LongMode(obs);
        var apic = Attach(m);
        Assert.True(m.Cpu.TryWriteMsr(Msr.ApicBase, Msr.DefaultApicBase | Msr.ApicBaseEnable | Msr.ApicBaseExtd | Msr.ApicBaseBsp));
        Assert.True(m.Cpu.TryWriteMsr(0x80F, 0x1FF));   // SVR: software enable
        return (m, obs, apic);
    }

    [Fact]
    public void An_xapic_self_nmi_to_its_own_id_is_taken_before_the_next_instruction()
    {
        var obs = new RecordingObserver();
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.Observer = obs;
        Attach(m).WriteRegister(0xF0, 0x1FF);
        c.Idtr = new DescriptorTableRegister { Base = EventRig.IdtBase, Limit = 0x7FF };
        EventRig.Gate32(m.Memory, Vector.NMI, EventRig.HandlerAt(Vector.NMI));
        EventRig.Load(m, EventRig.HandlerAt(Vector.NMI), 32, (a, l) => { a.hlt(); });
        var after = EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) =>
        {
            a.mov(__dword_ptr[0xFEE0_0310], 0);            // destination APIC ID 0: this CPU
            a.mov(__dword_ptr[0xFEE0_0300], 0x4400);       // NMI, physical, assert
            a.Label(ref l[0]);
            a.mov(ecx, 1);
            a.hlt();
        }, 1);
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.NMI, e.Vector);
        Assert.Equal(after[0], e.FromRip);
        Assert.Equal(0UL, c.R[Reg.RCX]);
    }

    // Runs `code` (whose label 0 follows the interrupting write) with a halting handler for `vector`, and checks
    // that the interrupt was the only event and was taken at label 0, before the next instruction (MOV ECX, 1) ran.
    private static void AssertTakenRightAfter(int vector, Action<Assembler> code)
    {
        var (m, obs, _) = LongModeX2Apic();
        using var _m = m;
        EventRig.Gate64(m.Memory, vector, EventRig.HandlerAt(vector));
        EventRig.Load64(m, EventRig.HandlerAt(vector), (a, l) => { a.hlt(); });
        var after = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            code(a);
            a.Label(ref l[0]);
            a.mov(ecx, 1);
            a.hlt();
        }, 1);
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(vector, e.Vector);
        Assert.Equal(after[0], e.FromRip);
        Assert.NotEqual(1UL, m.Cpu.R[Reg.RCX]);
        if (vector == 0xEF)
        {
            Assert.True(m.Cpu.TryReadMsr(Msr.TscDeadline, out var cleared));
            Assert.Equal(0UL, cleared);
        }
    }

    [Fact]
    public void An_x2apic_self_ipi_is_taken_before_the_next_instruction() => AssertTakenRightAfter(0x40, a =>
    {
        a.sti();
        a.nop();
        a.mov(ecx, 0x83F); a.mov(eax, 0x40); a.xor(edx, edx);
        a.wrmsr();                                      // SELF IPI, vector 0x40
    });

    [Fact]
    public void A_tsc_deadline_already_passed_fires_before_the_instruction_after_wrmsr() => AssertTakenRightAfter(0xEF, a =>
    {
        a.mov(ecx, 0x832); a.mov(eax, (2 << 17) | 0xEF); a.xor(edx, edx);
        a.wrmsr();                                      // LVT timer: TSC-deadline mode, vector 0xEF
        a.sti();
        a.rdtsc();
        a.mov(ecx, 0x6E0);
        a.wrmsr();                                      // IA32_TSC_DEADLINE = a TSC already passed
    });

    [Fact]
    public void Ten_self_nmis_sent_inside_the_nmi_handler_latch_one_nmi_and_drop_the_rest()
    {
        // SDM Vol. 3A §6.7.1: while an NMI is handled, one more NMI is held pending and further ones are lost
        // (kvm-unit-tests apic "pending nmi").
        var (m, obs, _) = LongModeX2Apic();
        using var _m = m;
        var c = m.Cpu;
        EventRig.Gate64(m.Memory, Vector.NMI, EventRig.HandlerAt(Vector.NMI));
        EventRig.Load64(m, EventRig.HandlerAt(Vector.NMI), (a, l) =>
        {
            a.inc(r15);
            a.cmp(r15, 1);
            a.jne(l[0]);
            a.mov(ecx, 0x830); a.mov(eax, 0x400); a.xor(edx, edx);   // NMI to APIC ID 0
            for (int i = 0; i < 10; i++) a.wrmsr();
            a.Label(ref l[0]);
            a.iretq();
        }, 1);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(ecx, 0x830); a.mov(eax, 0x400); a.xor(edx, edx);
            a.wrmsr();
            for (int i = 0; i < 20; i++) a.nop();
            a.hlt();
        });
        m.Run(200);

        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(2UL, c.R[15]);
        Assert.Equal(2, obs.Events.Count);
    }

    [Fact]
    public void An_all_including_self_ipi_is_accepted_here_at_once_and_sent_to_the_others_over_the_bus()
    {
        var apic = new LocalApic(2, () => 0);
        apic.WriteRegister(0xF0, 0x1FF);
        var sent = new List<Smp.Devices.Platform.Actors.Ipi>();
        apic.IpiSent += sent.Add;
        apic.WriteRegister(0x300, 0x0008_4031);   // fixed 0x31, all including self
        Assert.True(apic.IsRequested(0x31));
        Assert.Equal(DestinationShorthand.AllExcludingSelf, Assert.Single(sent).Destination.Shorthand);

        apic.WriteRegister(0x310, 0x0500_0000);
        apic.WriteRegister(0x300, 0x4032);        // another APIC's ID: over the bus only
        Assert.Equal(2, sent.Count);
        Assert.False(apic.IsRequested(0x32));
    }
}
