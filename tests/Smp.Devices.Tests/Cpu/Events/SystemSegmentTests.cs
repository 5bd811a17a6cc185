using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class SystemSegmentTests
{
    [Fact]
    public void Ltr_loads_a_64_bit_tss_marks_it_busy_and_str_lar_verw_report_it()
    {
        using var m = EventRig.LongMode();
        var c = m.Cpu;
        // 16-byte TSS descriptor at 0x48: base 0x1234_5678_9000, limit 0x67, type 9, present.
        ulong tssBase = 0x1234_5678_9000;
        ulong lo = 0x67 | ((tssBase & 0xFF_FFFF) << 16) | (0x89UL << 40) | (((tssBase >> 24) & 0xFF) << 56);
        m.Memory.Write(TestMachine.GdtBase + 0x48, 8, lo);
        m.Memory.Write(TestMachine.GdtBase + 0x50, 8, tssBase >> 32);
        c.Gdtr = new DescriptorTableRegister { Base = TestMachine.GdtBase, Limit = 0x57 };
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(eax, 0x48);
            a.ltr(ax);
            a.str(ebx);
            a.mov(ecx, 0x18);
            a.lar(edx, ecx);      // data segment: ZF = 1, rights
            a.verw(cx);
            a.hlt();
        });
        m.Run(100);

        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x48, c.Tr.Selector);
        Assert.Equal(tssBase, c.Tr.Base);
        Assert.Equal(0x67u, c.Tr.Limit);
        Assert.Equal(0x8B, c.Tr.Attributes & 0xFF);                              // busy
        Assert.Equal(0x8BUL, m.Memory.Read(TestMachine.GdtBase + 0x48 + 5, 1));    // busy in memory
        Assert.Equal(0x48UL, c.R[Reg.RBX]);
        Assert.Equal(0x00C0_9300UL, c.R[Reg.RDX]);   // 00FxFF00H mask, limit bits 19:16 read as 0
        Assert.True(c.GetZF());
    }

    [Fact]
    public void Mov_to_ss_with_a_code_selector_raises_gp_with_the_selector()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        EventRig.Gate64(m.Memory, Vector.GP, EventRig.HandlerAt(Vector.GP));
        EventRig.Load64(m, EventRig.HandlerAt(Vector.GP), (a, l) => { a.hlt(); });
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.mov(eax, 0x08); a.mov(ss, ax); a.hlt(); });
        m.Run(100);
        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.GP, e.Vector);
        Assert.Equal(8u, e.ErrorCode);
        Assert.Equal(TestMachine.CodeBase + 5, e.FromRip);
        Assert.Equal(0x18, m.Cpu.Segs[Seg.SS].Selector);
    }
}
