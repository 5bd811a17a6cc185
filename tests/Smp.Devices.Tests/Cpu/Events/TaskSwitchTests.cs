using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Tests.Cpu.SystemControl;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

/// <summary>Hardware task switches (SDM Vol. 3A §7.3) and call gates (§5.8.3–5.8.6) in 32-bit protected and IA-32e mode.</summary>
public class TaskSwitchTests
{
    // 32-bit protected-mode GDT: 0x08 code32 DPL0, 0x10 data DPL0, 0x18 code32 DPL3, 0x20 data DPL3,
    // 0x28 TSS A (current), 0x30 TSS B, 0x38 task gate → B, 0x40 call gate (32-bit, DPL3, 2 params) → 0x08:GateTarget.
    private const ulong Gdt = 0x7_0000, TssA = 0x6_8000, TssB = 0x6_9000, Idt = 0x6_0000;
    private const ulong TaskBCode = 0x40_0000, GateTarget = 0x40_1000, UserCode = 0x41_0000;

    private static ulong Seg32(uint baseAddr, uint limit, int access, bool big = true) =>
        (limit & 0xFFFF) | ((ulong)(baseAddr & 0xFF_FFFF) << 16) | ((ulong)access << 40) | ((ulong)((limit >> 16) & 0xF) << 48)
        | ((big ? 0xCUL : 0x8UL) << 52) | ((ulong)(baseAddr >> 24) << 56);

    private static ulong System32(ulong baseAddr, uint limit, int type) =>
        (limit & 0xFFFF) | ((baseAddr & 0xFF_FFFF) << 16) | ((ulong)(0x80 | type) << 40) | ((baseAddr >> 24) << 56);

    private static ulong Gate(ushort selector, ulong offset, int type, int dpl, int parameters = 0) =>
        (offset & 0xFFFF) | ((ulong)selector << 16) | ((ulong)parameters << 32) | ((ulong)(0x80 | (dpl << 5) | type) << 40) | ((offset >> 16) << 48);

    private static TestMachine Protected(RecordingObserver obs)
    {
        var m = TestMachine.Protected32();
        var mem = m.Memory;
        mem.Write(Gdt + 0x08, 8, Seg32(0, 0xFFFFF, 0x9B));
        mem.Write(Gdt + 0x10, 8, Seg32(0, 0xFFFFF, 0x93));
        mem.Write(Gdt + 0x18, 8, Seg32(0, 0xFFFFF, 0xFB));
        mem.Write(Gdt + 0x20, 8, Seg32(0, 0xFFFFF, 0xF3));
        mem.Write(Gdt + 0x28, 8, System32(TssA, 0x67, 0xB));     // busy: the running task
        mem.Write(Gdt + 0x30, 8, System32(TssB, 0x67, 0x9));
        mem.Write(Gdt + 0x38, 8, Gate(0x30, 0, 0x5, 0));
        mem.Write(Gdt + 0x40, 8, Gate(0x08, GateTarget, 0xC, 3, parameters: 2));
        var c = m.Cpu;
        c.Gdtr = new DescriptorTableRegister { Base = Gdt, Limit = 0x47 };
        c.Idtr = new DescriptorTableRegister { Base = Idt, Limit = 0x7FF };
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, Attributes = 0xC09B };
        for (int s = 0; s < 6; s++)
            if (s != Seg.CS) c.Segs[s] = new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, Attributes = 0xC093 };
        c.Tr = new SegmentRegister { Selector = 0x28, Base = TssA, Limit = 0x67, Attributes = 0x8B };
        c.Observer = obs;
        c.UpdateMode();
        // Task B: EIP TaskBCode, EFLAGS 2, EAX 0xB, ESP 0x1F0000, flat DPL 0 segments, LDT 0, T = 0.
        mem.Write(TssB + 0x20, 4, TaskBCode);
        mem.Write(TssB + 0x24, 4, 2);
        mem.Write(TssB + 0x28, 4, 0xB);
        mem.Write(TssB + 0x38, 4, 0x1F_0000);
        for (int i = 0; i < 6; i++) mem.Write(TssB + 0x48 + (ulong)(4 * i), 4, i == Seg.CS ? 0x08u : 0x10u);
        return m;
    }

    private static ulong Type(TestMachine m, int selector) => (m.Memory.Read(Gdt + (ulong)selector + 5, 1)) & 0xF;

    [Fact]
    public void Jmp_to_a_tss_saves_the_old_task_loads_the_new_one_and_moves_the_busy_flag()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        var c = m.Cpu;
        EventRig.Load(m, TaskBCode, 32, (a, l) => { a.hlt(); });
        var at = EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) =>
        {
            a.mov(eax, 0xA); a.mov(esi, 0x5151);
            a.db(0xEA, 0, 0, 0, 0, 0x30, 0);                 // jmp 0x30:0 (the offset is ignored)
            a.Label(ref l[0]);
            a.hlt();
        }, 1);
        SystemTestKit.RunToHalt(m);

        Assert.Equal(TaskBCode + 1, c.Rip);
        Assert.Equal(0xBUL, c.R[Reg.RAX]);
        Assert.Equal(0x30, c.Tr.Selector);
        Assert.Equal(0x9UL, Type(m, 0x28));                     // old task available again
        Assert.Equal(0xBUL, Type(m, 0x30));                     // new task busy
        Assert.Equal(at[0], m.Memory.Read(TssA + 0x20, 4));     // old EIP: after the JMP
        Assert.Equal(0xAUL, m.Memory.Read(TssA + 0x28, 4));
        Assert.Equal(0x5151UL, m.Memory.Read(TssA + 0x40, 4));  // ESI
        Assert.NotEqual(0UL, c.Cr0 & CpuCore.Cr0Ts);
        Assert.Equal(0UL, c.GetRflags() & Rflags.NT);
        Assert.Equal(0UL, m.Memory.Read(TssB, 2));              // no back link for JMP
    }

    [Fact]
    public void Call_through_a_task_gate_nests_and_iret_returns_to_the_caller_task()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        var c = m.Cpu;
        EventRig.Load(m, TaskBCode, 32, (a, l) => { a.mov(ebx, 0xBB); a.iretd(); });
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) =>
        {
            a.mov(eax, 0xA);
            a.db(0x9A, 0, 0, 0, 0, 0x38, 0);                 // call 0x38:0 (task gate)
            a.mov(ecx, 0xCC);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);

        Assert.Equal(0x28, c.Tr.Selector);                       // back in task A
        Assert.Equal(0xAUL, c.R[Reg.RAX]);                       // A's registers restored
        Assert.Equal(0xCCUL, c.R[Reg.RCX]);
        Assert.Equal(0x28UL, m.Memory.Read(TssB, 2));            // B's back link named A
        Assert.Equal(0xBBUL, m.Memory.Read(TssB + 0x34, 4));     // B saved with EBX = 0xBB
        Assert.Equal(0UL, m.Memory.Read(TssB + 0x24, 4) & Rflags.NT);   // IRET saved B with NT clear
        Assert.Equal(0x9UL, Type(m, 0x30));                      // B free again
        Assert.Equal(0xBUL, Type(m, 0x28));                      // A busy throughout
        Assert.Equal(0UL, c.GetRflags() & Rflags.NT);
    }

    [Fact]
    public void A_double_fault_through_a_task_gate_runs_its_task_with_the_error_code_on_the_new_stack()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        var c = m.Cpu;
        m.Memory.Write(Idt + 8 * 8, 8, Gate(0x30, 0, 0x5, 0));   // #DF → task B
        EventRig.Load(m, TaskBCode, 32, (a, l) => { a.pop(edx); a.hlt(); });
        // #GP with an IDT too short for vector 13 → #DF (contributory after contributory).
        c.Idtr = new DescriptorTableRegister { Base = Idt, Limit = 8 * 8 + 7 };
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.mov(eax, 0x18); a.mov(ss, ax); a.hlt(); });
        m.Run(100);

        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x30, c.Tr.Selector);
        Assert.Equal(0UL, c.R[Reg.RDX]);                          // #DF's error code, 0
        Assert.Equal(0x1F_0000UL, c.R[Reg.RSP]);
        Assert.Equal(TestMachine.CodeBase + 5, m.Memory.Read(TssA + 0x20, 4));   // the faulting MOV SS
        Assert.Equal(0x28UL, m.Memory.Read(TssB, 2));
        Assert.NotEqual(0UL, c.GetRflags() & Rflags.NT);
    }

    [Fact]
    public void A_bad_code_selector_in_the_new_tss_is_ts_in_the_new_task()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        var c = m.Cpu;
        m.Memory.Write(TssB + 0x4C, 4, 0x10);                    // CS = a data segment
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.db(0xEA, 0, 0, 0, 0, 0x30, 0); a.hlt(); });
        var fault = SystemTestKit.RunToFault(m);
        Assert.Equal((Vector.TS, 0x10u), fault);
        Assert.Equal(0x30, c.Tr.Selector);                        // the switch was committed
        Assert.Equal(0x10, c.Segs[Seg.CS].Selector);              // and the new task's selectors loaded
    }

    [Fact]
    public void Jmp_to_a_busy_tss_is_gp_with_its_selector()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.db(0xEA, 0, 0, 0, 0, 0x28, 0); a.hlt(); });
        Assert.Equal((Vector.GP, 0x28u), SystemTestKit.RunToFault(m));
    }

    [Fact]
    public void A_tss_with_the_t_flag_raises_a_debug_trap_with_bt_before_the_first_instruction()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        var c = m.Cpu;
        m.Memory.Write(TssB + 0x64, 2, 1);
        m.Memory.Write(Idt + 1 * 8, 8, Gate(0x08, EventRig.HandlerAt(1), 0xE, 0));
        EventRig.Load(m, EventRig.HandlerAt(1), 32, (a, l) => { a.hlt(); });
        EventRig.Load(m, TaskBCode, 32, (a, l) => { a.mov(ebx, 1); a.hlt(); });
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.db(0xEA, 0, 0, 0, 0, 0x30, 0); a.hlt(); });
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(Vector.DB, e.Vector);
        Assert.Equal(TaskBCode, e.FromRip);
        Assert.NotEqual(0UL, c.Dr6 & (1UL << 15));               // BT
        Assert.Equal(0UL, c.R[Reg.RBX]);
    }

    [Fact]
    public void Call_through_a_call_gate_from_ring_3_switches_stacks_copies_parameters_and_retf_returns()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        var c = m.Cpu;
        m.Memory.Write(TssA + 4, 4, 0x1E_0000);                  // ESP0
        m.Memory.Write(TssA + 8, 4, 0x10);                        // SS0
        EventRig.Load(m, GateTarget, 32, (a, l) =>
        {
            a.mov(eax, __dword_ptr[esp + 8]);                     // first parameter (nearest the old top)
            a.mov(ebx, __dword_ptr[esp + 12]);
            a.mov(ecx, __dword_ptr[esp + 16]);                    // old ESP
            a.mov(edx, cs);
            a.db(0xCA, 8, 0);                                    // retf 8: release the two parameters
        });
        EventRig.Load(m, UserCode, 32, (a, l) =>
        {
            a.push(0x2222); a.push(0x1111);
            a.db(0x9A, 0, 0, 0, 0, 0x43, 0);                     // call 0x43:0 (gate, RPL 3)
            a.mov(edi, esp);
            a.db(0xF4);                                          // hlt at CPL 3: #GP ends the test
        });
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x1B, Limit = 0xFFFF_FFFF, Attributes = 0xC0FB };
        for (int s = 0; s < 6; s++)
            if (s != Seg.CS) c.Segs[s] = new SegmentRegister { Selector = 0x23, Limit = 0xFFFF_FFFF, Attributes = 0xC0F3 };
        c.Cpl = 3;
        c.Rip = UserCode;
        c.R[Reg.RSP] = 0x1D_0000;
        c.UpdateMode();
        var fault = SystemTestKit.RunToFault(m);

        Assert.Equal((Vector.GP, 0u), fault);                     // the HLT at CPL 3
        Assert.Equal(0x1111UL, c.R[Reg.RAX]);
        Assert.Equal(0x2222UL, c.R[Reg.RBX]);
        Assert.Equal(0x1D_0000UL - 8, c.R[Reg.RCX]);
        Assert.Equal(0x08UL, c.R[Reg.RDX]);                       // ran at CPL 0
        Assert.Equal(0x1D_0000UL, c.R[Reg.RDI]);                  // RETF 8 released the parameters
        Assert.Equal(3, c.Cpl);
        Assert.Equal(0x23, c.Segs[Seg.SS].Selector);
    }

    [Fact]
    public void A_64_bit_call_gate_takes_cpl_3_to_cpl_0_with_a_null_ss_and_a_quadword_frame()
    {
        using var m = EventRig.LongMode();
        var c = m.Cpu;
        // 16-byte call gate at 0x48: DPL 3 → 0x10:target (64-bit code, DPL 0).
        const ulong target = 0x40_2000;
        m.Memory.Write(TestMachine.GdtBase + 0x48, 8, Gate(0x10, target, 0xC, 3));
        m.Memory.Write(TestMachine.GdtBase + 0x50, 8, target >> 32);
        c.Gdtr = new DescriptorTableRegister { Base = TestMachine.GdtBase, Limit = 0x57 };
        m.Memory.Write(EventRig.TssBase + 4, 8, 0x1E_0000);       // RSP0
        EventRig.Load64(m, target, (a, l) =>
        {
            a.mov(rax, __qword_ptr[rsp]);                         // return RIP
            a.mov(rbx, __qword_ptr[rsp + 8]);                     // return CS
            a.mov(rcx, __qword_ptr[rsp + 16]);                    // old RSP
            a.mov(rdx, __qword_ptr[rsp + 24]);                    // old SS
            a.mov(esi, ss);
            a.hlt();
        });
        var ret = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.call(__fword_ptr[l[1]]);                       // call m16:32 → gate 0x4B
            a.Label(ref l[0]);
            a.hlt();
            a.Label(ref l[1]);
            a.dd(0); a.dw(0x4B);
        }, 2);
        SystemTestKit.EnterUserMode(c);
        c.R[Reg.RSP] = 0x1D_0000;
        m.Run(100);

        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0, c.Cpl);
        Assert.Equal(ret[0], c.R[Reg.RAX]);
        Assert.Equal(0x33UL, c.R[Reg.RBX]);
        Assert.Equal(0x1D_0000UL, c.R[Reg.RCX]);
        Assert.Equal(0x2BUL, c.R[Reg.RDX]);
        Assert.Equal(0UL, c.R[Reg.RSI]);                          // SS = null selector, RPL 0
        Assert.Equal(0x1E_0000UL - 32, c.R[Reg.RSP]);
    }

    [Fact]
    public void Ia32e_mode_refuses_task_gates_and_tss_targets_for_far_jumps()
    {
        using var m = EventRig.LongMode();
        m.Memory.Write(TestMachine.GdtBase + 0x48, 8, System32(0x6_9000, 0x67, 0x9));
        m.Memory.Write(TestMachine.GdtBase + 0x50, 8, 0);
        m.Cpu.Gdtr = new DescriptorTableRegister { Base = TestMachine.GdtBase, Limit = 0x57 };
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.jmp(__fword_ptr[l[0]]); a.Label(ref l[0]); a.dd(0); a.dw(0x48); }, 1);
        Assert.Equal((Vector.GP, 0x48u), SystemTestKit.RunToFault(m));
    }

    [Fact]
    public void A_tss_image_with_vm_set_resumes_a_virtual_8086_task()
    {
        var obs = new RecordingObserver();
        using var m = Protected(obs);
        var c = m.Cpu;
        m.Memory.Write(TssB + 0x24, 4, 0x2_0002);                // EFLAGS: VM
        m.Memory.Write(TssB + 0x20, 4, 0x0010);                  // IP
        m.Memory.Write(TssB + 0x4C, 4, 0x4200);                  // CS: real-mode style, no descriptor
        m.Memory.Write(TssB + 0x50, 4, 0x5000);                  // SS
        EventRig.Load(m, 0x4_2010, 16, (a, l) => { a.mov(ax, cs); a.hlt(); });   // HLT at CPL 3: #GP
        EventRig.Load(m, TestMachine.CodeBase, 32, (a, l) => { a.db(0xEA, 0, 0, 0, 0, 0x30, 0); });
        var fault = SystemTestKit.RunToFault(m);

        Assert.Equal((Vector.GP, 0u), fault);                    // HLT at CPL 3
        Assert.Equal(0x4200UL, c.R[Reg.RAX] & 0xFFFF);            // code ran at 0x4200:0x0010 = linear 0x42010
        Assert.Equal(0x30, c.Tr.Selector);
    }
}
