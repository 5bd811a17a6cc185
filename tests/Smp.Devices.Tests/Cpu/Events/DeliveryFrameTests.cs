using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class DeliveryFrameTests
{
    [Fact]
    public void Real_mode_int_pushes_flags_cs_ip_clears_if_and_iret_returns()
    {
        using var m = TestMachine.RealMode();
        var obs = new RecordingObserver();
        var c = m.Cpu;
        c.Observer = obs;
        c.SetRflags(0x202);
        m.Memory.Write(0x20 * 4, 2, 0x0010);   // IVT[0x20] = 0800:0010
        m.Memory.Write(0x20 * 4 + 2, 2, 0x0800);
        var main = EventRig.Load(m, 0x7C00, 16, (a, l) => { a.@int(0x20); a.Label(ref l[0]); a.mov(eax, 0x1234); a.hlt(); }, 1);
        EventRig.Load(m, 0x8010, 16, (a, l) => { a.mov(ebx, 0x55); a.iret(); });
        m.Run(100);

        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x55UL, c.R[Reg.RBX]);
        Assert.Equal(0x1234UL, c.R[Reg.RAX]);
        Assert.Equal(0x7000UL, c.R[Reg.RSP]);
        var e = Assert.Single(obs.Events);
        Assert.Equal(0x20, e.Vector);
        Assert.Equal(0x10UL, e.ToRip);
        Assert.Equal(0x6FFAUL, e.RspAfter);
        Assert.Equal(main[0], obs.Frames[0][0]);          // IP after INT
        Assert.Equal(0UL, obs.Frames[0][1]);              // CS
        Assert.Equal(0x202UL, obs.Frames[0][2]);          // FLAGS image with IF
        Assert.Single(obs.Irets);
        Assert.Equal(0x202UL, c.GetRflags() & 0x202);     // IF restored
    }

    [Fact]
    public void Protected32_int_through_interrupt_gate_same_privilege_pushes_eflags_cs_eip()
    {
        using var m = TestMachine.Protected32();
        var obs = new RecordingObserver();
        var c = m.Cpu;
        c.Observer = obs;
        c.Idtr = new DescriptorTableRegister { Base = EventRig.IdtBase, Limit = 0x7FF };
        c.SetRflags(0x202);
        EventRig.Gate32(m.Memory, 0x40, EventRig.HandlerAt(0x40));
        var main = EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.@int(0x40); a.Label(ref l[0]); a.mov(eax, 7); a.hlt(); }, 1);
        EventRig.Load(m, EventRig.HandlerAt(0x40), 32, (a, l) => { a.hlt(); a.iretd(); });
        m.Run(100);

        Assert.Equal(EventRig.HandlerAt(0x40) + 1, c.Rip);
        Assert.Equal(TestMachine.StackTop - 12, c.R[Reg.RSP]);
        Assert.Equal(0UL, c.GetRflags() & Rflags.IF);
        Assert.Equal(new ulong[] { main[0], 0x08, 0x202 }, obs.Frames[0][..3]);

        c.State = RunState.Running;
        m.Run(100);
        Assert.Equal(7UL, c.R[Reg.RAX]);
        Assert.Equal(TestMachine.StackTop, c.R[Reg.RSP]);
        Assert.Equal(Rflags.IF, c.GetRflags() & Rflags.IF);
    }

    [Fact]
    public void Protected32_int_from_ring3_switches_to_tss_stack_and_iret_returns_to_ring3()
    {
        using var m = TestMachine.Protected32();
        var obs = new RecordingObserver();
        var c = m.Cpu;
        c.Observer = obs;
        var mem = m.Memory;
        mem.Write(TestMachine.GdtBase + 0x28, 8, 0x00CF_FB00_0000_FFFFUL); // user code32
        mem.Write(TestMachine.GdtBase + 0x30, 8, 0x00CF_F300_0000_FFFFUL); // user data
        c.Gdtr = new DescriptorTableRegister { Base = TestMachine.GdtBase, Limit = 0x37 };
        c.Idtr = new DescriptorTableRegister { Base = EventRig.IdtBase, Limit = 0x7FF };
        mem.Write(EventRig.TssBase + 4, 4, 0x1F_0000);   // ESP0
        mem.Write(EventRig.TssBase + 8, 2, 0x18);        // SS0
        c.Tr = new SegmentRegister { Selector = 0x40, Base = EventRig.TssBase, Limit = 0x67, Attributes = 0x8B };
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x2B, Limit = 0xFFFF_FFFF, Attributes = 0xC0FB };
        foreach (int s in new[] { Seg.SS, Seg.DS, Seg.ES }) c.Segs[s] = new SegmentRegister { Selector = 0x33, Limit = 0xFFFF_FFFF, Attributes = 0xC0F3 };
        c.Cpl = 3;
        c.UpdateMode();
        c.SetRflags(0x202);
        EventRig.Gate32(m.Memory, 0x80, EventRig.HandlerAt(0x80), dpl: 3);
        EventRig.Gate32(m.Memory, 0x81, EventRig.HandlerAt(0x81), dpl: 3);
        var main = EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.@int(0x80); a.Label(ref l[0]); a.mov(eax, 0x77); a.@int(0x81); }, 1);
        EventRig.Load(m, EventRig.HandlerAt(0x80), 32, (a, l) => { a.hlt(); a.iretd(); });
        EventRig.Load(m, EventRig.HandlerAt(0x81), 32, (a, l) => { a.hlt(); });
        m.Run(100);

        Assert.Equal(0, c.Cpl);
        Assert.Equal(0x08, c.Segs[Seg.CS].Selector);
        Assert.Equal(0x18, c.Segs[Seg.SS].Selector);
        Assert.Equal(0x1F_0000UL - 20, c.R[Reg.RSP]);
        Assert.Equal(new ulong[] { main[0], 0x2B, 0x202, TestMachine.StackTop, 0x33 }, obs.Frames[0][..5]);

        c.State = RunState.Running;
        m.Run(100);
        Assert.Equal(0x77UL, c.R[Reg.RAX]);
        Assert.Equal(2, obs.Events.Count);
        var second = obs.Events[1];
        Assert.Equal(TestMachine.StackTop, second.RspBefore);   // back on the ring-3 stack after IRETD
        Assert.Equal(0x2BUL, obs.Frames[1][1]);
    }

    [Fact]
    public void Long_mode_int_frame_has_ss_rsp_rflags_cs_rip_and_iretq_returns()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        var c = m.Cpu;
        EventRig.Gate64(m.Memory, 0x40, EventRig.HandlerAt(0x40));
        var main = EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x40); a.Label(ref l[0]); a.mov(rax, 9); a.hlt(); }, 1);
        EventRig.Load64(m, EventRig.HandlerAt(0x40), (a, l) => { a.iretq(); });
        m.Run(100);

        Assert.Equal(9UL, c.R[Reg.RAX]);
        Assert.Equal(TestMachine.StackTop, c.R[Reg.RSP]);
        var e = Assert.Single(obs.Events);
        Assert.Null(e.ErrorCode);
        Assert.Equal(TestMachine.StackTop - 40, e.RspAfter);
        Assert.Equal(new ulong[] { main[0], 0x10, 0x2, TestMachine.StackTop, 0x18 }, obs.Frames[0][..5]);
        Assert.Equal(main[0], obs.Irets[0].To);
        Assert.Equal(0, c.EventDepth);
    }

    [Fact]
    public void Long_mode_int_through_bad_gate_raises_gp_with_vector_times_8_plus_2_and_rf_set_in_frame()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        EventRig.Gate64(m.Memory, 0x42, EventRig.HandlerAt(0x42), type: 0xC);   // call gate type: invalid in the IDT
        EventRig.Gate64(m.Memory, Vector.GP, EventRig.HandlerAt(Vector.GP));
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x42); a.hlt(); });
        EventRig.Load64(m, EventRig.HandlerAt(Vector.GP), (a, l) => { a.hlt(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.GP, e.Vector);
        Assert.Equal(0x42u * 8 + 2, e.ErrorCode);
        Assert.Equal(TestMachine.StackTop - 48, e.RspAfter);
        var f = obs.Frames[0];
        Assert.Equal(0x42UL * 8 + 2, f[0]);                 // error code
        Assert.Equal(TestMachine.CodeBase, f[1]);           // RIP of the INT itself (fault)
        Assert.Equal(0x10UL, f[2]);
        Assert.Equal(Rflags.RF | 2, f[3]);                  // RF = 1 for a fault (SDM §17.3.1.1, fact G.4)
        Assert.Equal(TestMachine.StackTop, f[4]);
        Assert.Equal(0x18UL, f[5]);
    }

    [Fact]
    public void Long_mode_int_dpl_violation_from_ring3_is_gp_vector_times_8_plus_2()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        var c = m.Cpu;
        m.Memory.Write(EventRig.TssBase + 4, 8, 0x1F_0000);   // RSP0
        EventRig.Gate64(m.Memory, 0x50, EventRig.HandlerAt(0x50), dpl: 0);
        EventRig.Gate64(m.Memory, Vector.GP, EventRig.HandlerAt(Vector.GP));
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x33, Limit = 0xFFFF_FFFF, Attributes = 0xA0FB };
        c.Segs[Seg.SS] = new SegmentRegister { Selector = 0x3B, Limit = 0xFFFF_FFFF, Attributes = 0xC0F3 };
        c.Cpl = 3;
        c.UpdateMode();
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x50); });
        EventRig.Load64(m, EventRig.HandlerAt(Vector.GP), (a, l) => { a.hlt(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(0x50u * 8 + 2, e.ErrorCode);
        Assert.Equal(0, c.Cpl);
        Assert.Equal(0x1F_0000UL - 48, c.R[Reg.RSP]);       // RSP0 from the TSS
        Assert.Equal(0, c.Segs[Seg.SS].Selector);            // SS = NULL with RPL = new CPL
        Assert.Equal(new ulong[] { 0x282, TestMachine.CodeBase, 0x33, Rflags.RF | 2, TestMachine.StackTop, 0x3B }, obs.Frames[0]);
    }

    [Fact]
    public void Long_mode_ist_stack_is_used_aligned_down_to_16()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        EventRig.Ist(m.Memory, 3, 0x1F_8008);
        EventRig.Gate64(m.Memory, 0x43, EventRig.HandlerAt(0x43), ist: 3);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x43); a.hlt(); });
        EventRig.Load64(m, EventRig.HandlerAt(0x43), (a, l) => { a.hlt(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(3, e.Ist);
        Assert.Equal(0x1F_8000UL - 40, e.RspAfter);
        Assert.Equal(0x1F_8000UL - 40, m.Cpu.R[Reg.RSP]);
        Assert.Equal(TestMachine.StackTop, obs.Frames[0][3]);   // interrupted RSP saved
    }

    [Fact]
    public void Long_mode_delivery_aligns_an_odd_rsp_and_iretq_restores_it_exactly()
    {
        using var m = EventRig.LongMode(new RecordingObserver());
        var obs = (RecordingObserver)m.Cpu.Observer!;
        var c = m.Cpu;
        ulong odd = TestMachine.StackTop - 0x13;
        c.R[Reg.RSP] = odd;
        EventRig.Gate64(m.Memory, 0x40, EventRig.HandlerAt(0x40));
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.@int(0x40); a.hlt(); });
        EventRig.Load64(m, EventRig.HandlerAt(0x40), (a, l) => { a.iretq(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal((odd & ~0xFUL) - 40, e.RspAfter);
        Assert.Equal(odd, obs.Frames[0][3]);
        Assert.Equal(odd, c.R[Reg.RSP]);
        Assert.Equal(RunState.Halted, c.State);
    }

    [Fact]
    public void Iretq_to_cpl3_nulls_a_kernel_gs_selector_but_keeps_its_base_for_64_bit_addressing()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        var c = m.Cpu;
        const ulong perCpu = TestMachine.DataBase + 0x100;
        m.Memory.Write(perCpu, 8, 0x1234_5678);
        m.Memory.Write(EventRig.TssBase + 4, 8, 0x1F_0000);                 // RSP0
        EventRig.Gate64(m.Memory, 0x80, EventRig.HandlerAt(0x80), dpl: 3);
        EventRig.Load64(m, EventRig.HandlerAt(0x80), (a, l) => { a.hlt(); });
        var user = EventRig.Load64(m, TestMachine.CodeBase + 0x200, (a, l) =>
        {
            a.Label(ref l[0]);
            a.mov(rax, __qword_ptr.gs[0]);
            a.@int(0x80);
        }, 1);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(eax, 0x18); a.mov(gs, ax);
            a.mov(ecx, 0xC000_0101); a.mov(eax, (uint)perCpu); a.xor(edx, edx); a.wrmsr();   // IA32_GS_BASE
            a.push(0x3B); a.push(0x1E_0000); a.pushfq(); a.push(0x33);
            a.mov(rax, (long)user[0]); a.push(rax);
            a.iretq();
        });
        m.Run(100);

        // SDM Vol. 2A IRET: GS (DPL 0 < CPL 3) gets a null selector; the pseudo-code leaves the base alone.
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x1234_5678UL, c.R[Reg.RAX]);
        Assert.Equal(0, c.Segs[Seg.GS].Selector);
        Assert.Equal(perCpu, c.Segs[Seg.GS].Base);
    }
}

public class ProtectedGateVariantTests
{
    [Fact]
    public void Sixteen_bit_trap_gate_pushes_a_16_bit_frame_and_keeps_if()
    {
        using var m = TestMachine.Protected32();
        var obs = new RecordingObserver();
        var c = m.Cpu;
        c.Observer = obs;
        c.Idtr = new DescriptorTableRegister { Base = EventRig.IdtBase, Limit = 0x7FF };
        c.SetRflags(0x202);
        // 16-bit code segment at 0x20 (TestMachine GDT), handler offset within 64 KiB.
        EventRig.Gate32(m.Memory, 0x40, 0x8000, type: 0x7, selector: 0x20);
        EventRig.Load(m, 0x8000, 16, (a, l) => { a.hlt(); });
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.@int(0x40); a.hlt(); });
        m.Run(100);

        Assert.Equal(CpuMode.Protected16, c.Mode);
        Assert.Equal(TestMachine.StackTop - 6, c.R[Reg.RSP]);
        Assert.Equal(Rflags.IF, c.GetRflags() & Rflags.IF);          // trap gate: IF unchanged
        Assert.Equal((TestMachine.CodeBase + 2) & 0xFFFF, m.Memory.Read(TestMachine.StackTop - 6, 2));
        Assert.Equal(0x08UL, m.Memory.Read(TestMachine.StackTop - 4, 2));
        Assert.Equal(0x202UL, m.Memory.Read(TestMachine.StackTop - 2, 2));
    }

    [Fact]
    public void A_task_gate_naming_a_code_segment_instead_of_a_tss_raises_gp_with_that_selector()
    {
        // SDM Vol. 2A INT n "TASK-GATE": the gate's selector must name an available TSS in the GDT.
        // (Task switches through valid task gates: TaskSwitchTests.)
        using var m = TestMachine.Protected32();
        var obs = new RecordingObserver();
        var c = m.Cpu;
        c.Observer = obs;
        c.Idtr = new DescriptorTableRegister { Base = EventRig.IdtBase, Limit = 0x7FF };
        EventRig.Gate32(m.Memory, 0x40, 0, type: 0x5);
        EventRig.Gate32(m.Memory, Vector.GP, EventRig.HandlerAt(Vector.GP));
        EventRig.Load(m, EventRig.HandlerAt(Vector.GP), 32, (a, l) => { a.hlt(); });
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.@int(0x40); });
        m.Run(100);
        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.GP, e.Vector);
        Assert.Equal(0x08u, e.ErrorCode);   // the gate's selector (code32); EXT = 0 for INT n
    }
}
