using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class NmiTests
{
    private static (TestMachine M, RecordingObserver Obs, ulong[] Main) Setup(Action<Assembler, Label[]> nmiHandler, int nmiLabels = 0)
    {
        var obs = new RecordingObserver();
        var m = EventRig.LongMode(obs);
        EventRig.Ist(m.Memory, 2, 0x1F_4000);
        EventRig.Gate64(m.Memory, Vector.NMI, EventRig.HandlerAt(Vector.NMI), ist: 2);
        EventRig.Gate64(m.Memory, Vector.BP, EventRig.HandlerAt(Vector.BP));
        EventRig.Load64(m, EventRig.HandlerAt(Vector.BP), (a, l) => { a.iretq(); });
        var main = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.Label(ref l[0]);
            a.nop();
            a.jmp(l[0]);
        }, 1);
        EventRig.Load64(m, EventRig.HandlerAt(Vector.NMI), nmiHandler, nmiLabels);
        return (m, obs, main);
    }

    [Fact]
    public void Nmi_is_delivered_with_if_clear_and_blocks_further_nmis()
    {
        var (m, obs, _) = Setup((a, l) => { a.hlt(); });
        using var _m = m;
        m.Run(5);
        m.Cpu.InjectNmi();
        m.Run(5);
        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.NMI, e.Vector);
        Assert.Equal(EventKind.Nmi, e.Kind);
        Assert.Equal(2, e.Ist);
        Assert.True(m.Cpu.NmiBlocked);
        // A halted NMI handler is not woken by another NMI while NMIs are blocked.
        m.Cpu.InjectNmi();
        Assert.Equal(0, m.Run(5));
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.True(m.Cpu.NmiPending);
    }

    [Fact]
    public void Second_nmi_is_latched_until_the_handler_irets()
    {
        var (m, obs, main) = Setup((a, l) => { a.nop(); a.nop(); a.nop(); a.iretq(); });
        using var _m = m;
        m.Run(3);
        m.Cpu.InjectNmi();
        m.Run(2);                       // delivery + first nop
        m.Cpu.InjectNmi();
        m.Run(2);                       // two more nops: still latched
        Assert.Single(obs.Events);
        Assert.True(m.Cpu.NmiPending);
        m.Run(2);                       // iretq, then the latched NMI
        Assert.Equal(2, obs.Events.Count);
        Assert.Single(obs.Irets);
        Assert.Equal(obs.Irets[0].To, obs.Events[1].FromRip);   // delivered right after the unblocking IRET
        Assert.False(m.Cpu.NmiPending);
        Assert.True(m.Cpu.NmiBlocked);
    }

    [Fact]
    public void Iret_from_int3_inside_nmi_handler_unblocks_nmi_which_reuses_the_same_ist_top()
    {
        var (m, obs, _) = Setup((a, l) => { a.int3(); a.Label(ref l[0]); a.nop(); a.hlt(); }, 1);
        using var _m = m;
        ulong afterInt3 = EventRig.HandlerAt(Vector.NMI) + 1;
        m.Run(3);
        m.Cpu.InjectNmi();
        m.Run(1);                       // NMI delivered
        m.Cpu.InjectNmi();              // latched: blocked
        m.Run(10);                      // int3 → #BP handler iretq → NMI unblocked → second NMI inside the first

        // The re-entered NMI handler runs its INT3 again: NMI, #BP, NMI, #BP.
        Assert.Equal(4, obs.Events.Count);
        Assert.Equal(Vector.NMI, obs.Events[0].Vector);
        Assert.Equal(Vector.BP, obs.Events[1].Vector);
        Assert.Equal(Vector.NMI, obs.Events[2].Vector);
        Assert.Equal(afterInt3, obs.Events[2].FromRip);
        // Same IST top: the second frame overwrote the first NMI's return frame (fact sheet C1/C2).
        Assert.Equal(obs.Events[0].RspAfter, obs.Events[2].RspAfter);
        Assert.Equal(0x1F_4000UL - 40, obs.Events[2].RspAfter);
        Assert.Equal(afterInt3, m.Memory.Read(0x1F_4000UL - 40, 8));
        Assert.Equal(2, obs.Events[2].Depth);   // NMI (1) + #BP (2) − IRET (1) + NMI (2)
        Assert.Equal(Vector.BP, obs.Events[3].Vector);
    }

    [Fact]
    public void Nmi_leaves_shutdown_when_not_blocked()
    {
        var (m, obs, _) = Setup((a, l) => { a.hlt(); });
        using var _m = m;
        m.Cpu.EnterShutdown("test");
        Assert.Equal(0, m.Run(5));
        m.Cpu.InjectNmi();
        m.Run(5);
        Assert.Equal(Vector.NMI, Assert.Single(obs.Events).Vector);
        Assert.Null(m.Cpu.ShutdownReason);
    }
}
