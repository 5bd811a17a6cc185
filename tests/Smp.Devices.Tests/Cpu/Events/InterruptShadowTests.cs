using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class InterruptShadowTests
{
    [Fact]
    public void Sti_delivers_a_pending_interrupt_only_after_the_next_instruction()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        var c = m.Cpu;
        var src = new FakeInterruptSource(c, 0x30, _ => true);
        c.InterruptSource = src;
        EventRig.Gate64(m.Memory, 0x30, EventRig.HandlerAt(0x30));
        EventRig.Load64(m, EventRig.HandlerAt(0x30), (a, l) => { a.hlt(); });
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.sti();
            a.mov(rbx, 1);
            a.Label(ref l[0]);
            a.mov(rdx, 2);
            a.hlt();
        }, 1);
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(0x30, e.Vector);
        Assert.Equal(EventKind.ExternalInterrupt, e.Kind);
        Assert.Equal(at[0], e.FromRip);
        Assert.Equal(1UL, c.R[Reg.RBX]);
        Assert.Equal(0UL, c.R[Reg.RDX]);
        Assert.Equal(1, src.Acknowledged);
    }

    [Fact]
    public void Mov_ss_inhibits_interrupts_until_after_the_next_instruction()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        var c = m.Cpu;
        c.SetRflags(0x202);
        c.InterruptSource = new FakeInterruptSource(c, 0x31, cpu => cpu.Segs[Seg.SS].Selector == 0x28);
        EventRig.Gate64(m.Memory, 0x31, EventRig.HandlerAt(0x31));
        EventRig.Load64(m, EventRig.HandlerAt(0x31), (a, l) => { a.hlt(); });
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(eax, 0x28);
            a.mov(ss, ax);
            a.mov(rbx, 1);
            a.Label(ref l[0]);
            a.mov(rdx, 2);
            a.hlt();
        }, 1);
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(at[0], e.FromRip);
        Assert.Equal(1UL, c.R[Reg.RBX]);
        Assert.Equal(0UL, c.R[Reg.RDX]);
        Assert.Equal(0x28UL, obs.Frames[0][4]);   // the new SS was saved
    }

    [Fact]
    public void Mov_ss_also_holds_an_nmi_for_one_instruction()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        var c = m.Cpu;
        EventRig.Gate64(m.Memory, Vector.NMI, EventRig.HandlerAt(Vector.NMI));
        EventRig.Load64(m, EventRig.HandlerAt(Vector.NMI), (a, l) => { a.hlt(); });
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(eax, 0x28);
            a.mov(ss, ax);
            a.mov(rbx, 1);
            a.Label(ref l[0]);
            a.mov(rdx, 2);
            a.hlt();
        }, 1);
        Assert.Equal(2, m.Run(2));      // up to and including MOV SS
        c.InjectNmi();                  // arrives on the MOV SS boundary
        m.Run(100);
        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.NMI, e.Vector);
        Assert.Equal(at[0], e.FromRip);
        Assert.Equal(1UL, c.R[Reg.RBX]);
    }

    [Fact]
    public void Halted_cpu_wakes_on_an_interrupt_and_returns_after_the_hlt()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        var c = m.Cpu;
        c.SetRflags(0x202);
        bool raise = false;
        c.InterruptSource = new FakeInterruptSource(c, 0x32, _ => raise);
        EventRig.Gate64(m.Memory, 0x32, EventRig.HandlerAt(0x32));
        EventRig.Load64(m, EventRig.HandlerAt(0x32), (a, l) => { a.iretq(); });
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.hlt(); a.Label(ref l[0]); a.mov(rax, 5); a.hlt(); }, 1);
        m.Run(100);
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0, m.Run(100));
        raise = true;
        c.NotifyInterruptPending();
        m.Run(100);
        Assert.Equal(at[0], Assert.Single(obs.Events).FromRip);
        Assert.Equal(5UL, c.R[Reg.RAX]);
        Assert.Equal(RunState.Halted, c.State);
    }
}
