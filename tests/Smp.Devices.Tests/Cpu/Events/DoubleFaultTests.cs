using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class DoubleFaultTests
{
    [Fact]
    public void Contributory_fault_while_delivering_gp_becomes_df_with_error_code_zero()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        EventRig.Ist(m.Memory, 1, 0x1F_0000);
        EventRig.Gate64(m.Memory, 0x42, EventRig.HandlerAt(0x42), type: 0xC);              // bad gate → #GP
        EventRig.Gate64(m.Memory, Vector.GP, EventRig.HandlerAt(Vector.GP), present: false); // #GP gate absent → #NP
        EventRig.Gate64(m.Memory, Vector.DF, EventRig.HandlerAt(Vector.DF), ist: 1);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x42); });
        EventRig.Load64(m, EventRig.HandlerAt(Vector.DF), (a, l) => { a.hlt(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.DF, e.Vector);
        Assert.Equal(0u, e.ErrorCode);
        Assert.Equal(1, e.Ist);
        Assert.Equal(0UL, obs.Frames[0][0]);
        Assert.Equal(RunState.Halted, m.Cpu.State);
    }

    [Fact]
    public void Fault_while_delivering_df_enters_shutdown_naming_the_chain()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        EventRig.Gate64(m.Memory, 0x42, EventRig.HandlerAt(0x42), type: 0xC);
        EventRig.Gate64(m.Memory, Vector.GP, EventRig.HandlerAt(Vector.GP), present: false);
        EventRig.Gate64(m.Memory, Vector.DF, EventRig.HandlerAt(Vector.DF), present: false);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x42); });
        m.Run(100);

        Assert.Equal(RunState.Shutdown, m.Cpu.State);
        Assert.Empty(obs.Events);
        Assert.Equal("vector 0x42 -> #GP -> #DF -> #NP while delivering #DF: triple fault", m.Cpu.ShutdownReason);
        Assert.Single(obs.Shutdowns);
        Assert.Equal(0, m.Run(100));
    }

    [Fact]
    public void Page_fault_while_delivering_page_fault_becomes_df()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        var c = m.Cpu;
        EventRig.Ist(m.Memory, 1, 0x1F_0000);
        EventRig.Gate64(m.Memory, Vector.PF, EventRig.HandlerAt(Vector.PF));
        EventRig.Gate64(m.Memory, Vector.DF, EventRig.HandlerAt(Vector.DF), ist: 1);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rcx, 0x800_0000L);            // 128 MiB: not mapped
            a.mov(rsp, rcx);                    // the #PF frame cannot be pushed either
            a.mov(rbx, __qword_ptr[rcx]);
        });
        EventRig.Load64(m, EventRig.HandlerAt(Vector.DF), (a, l) => { a.hlt(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.DF, e.Vector);
        Assert.Equal(0x800_0000UL - 8, c.Cr2);   // the second #PF: the first push of the #PF frame
        Assert.Equal(RunState.Halted, c.State);
    }

    [Fact]
    public void Benign_first_event_then_gp_is_delivered_serially()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        EventRig.Gate64(m.Memory, 0x42, EventRig.HandlerAt(0x42), present: false);   // INT n: benign → #NP
        EventRig.Gate64(m.Memory, Vector.NP, EventRig.HandlerAt(Vector.NP));
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x42); });
        EventRig.Load64(m, EventRig.HandlerAt(Vector.NP), (a, l) => { a.hlt(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.NP, e.Vector);
        Assert.Equal(0x42u * 8 + 2, e.ErrorCode);   // software INT: EXT = 0
    }
}
