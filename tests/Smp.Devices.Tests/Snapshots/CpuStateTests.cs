using Smp.Devices.Cpu;
using Smp.Devices.Snapshots;
using Smp.Devices.Tests.Cpu;
using Smp.Devices.Tests.Cpu.Events;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Snapshots;

public class CpuStateTests
{
    [Fact]
    public void Saved_state_carries_nmi_blocking_the_latched_nmi_and_lazy_flags_and_restores_them()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        EventRig.Ist(m.Memory, 2, 0x1F_4000);
        EventRig.Gate64(m.Memory, Vector.NMI, EventRig.HandlerAt(Vector.NMI), ist: 2);
        EventRig.Load64(m, EventRig.HandlerAt(Vector.NMI), (a, l) => { a.mov(eax, 5); a.sub(eax, 5); a.nop(); a.iretq(); });
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.Label(ref l[0]); a.inc(rbx); a.jmp(l[0]); }, 1);
        m.Run(3);
        m.Cpu.InjectNmi();
        m.Run(3);                              // NMI delivered, MOV, SUB: ZF lazily pending
        m.Cpu.InjectNmi();                     // latched behind the blocked NMI
        var state = m.Cpu.SaveState();
        Assert.True(state.NmiBlocked);
        Assert.True(state.NmiPending);
        Assert.Equal(1, state.EventDepth);
        Assert.NotEqual(0UL, state.Rflags & Rflags.ZF);

        m.Run(50);                             // IRET, second NMI, ...
        Assert.Equal((2, 2), (obs.Events.Count, obs.Irets.Count));
        m.Cpu.RestoreState(state);
        Assert.Equal(state, m.Cpu.SaveState());
        Assert.True(m.Cpu.NmiBlocked);
        Assert.True(m.Cpu.NmiPending);
        Assert.True(m.Cpu.GetZF());
        m.Run(3);                              // NOP, IRETQ, then the latched NMI is delivered again
        Assert.Equal(Vector.NMI, obs.Events[^1].Vector);
        Assert.Equal(3, obs.Events.Count);
    }

    [Fact]
    public void Composite_observer_forwards_to_every_listener_in_order()
    {
        var first = new RecordingObserver();
        var second = new RecordingObserver();
        using var m = EventRig.LongMode(first);
        CompositeCpuObserver.Attach(m.Cpu, second);
        var composite = Assert.IsType<CompositeCpuObserver>(m.Cpu.Observer);
        Assert.Equal([first, second], composite.Observers);
        EventRig.Gate64(m.Memory, Vector.BP, EventRig.HandlerAt(Vector.BP));
        EventRig.Load64(m, EventRig.HandlerAt(Vector.BP), (a, l) => a.iretq());
        m.Load(a => { a.int3(); a.hlt(); });
        m.Run(10);
        Assert.Equal(Vector.BP, Assert.Single(first.Events).Vector);
        Assert.Equal(Vector.BP, Assert.Single(second.Events).Vector);
        Assert.Single(first.Irets);
        Assert.Single(second.Irets);
    }
}
