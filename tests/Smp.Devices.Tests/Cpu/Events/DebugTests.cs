using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class DebugTests
{
    // #DB handler: r15 += r14 (count), then IRETQ; #BP handler: HLT.
    private static (TestMachine M, RecordingObserver Obs) Setup(Action<Assembler>? dbHandler = null)
    {
        var obs = new RecordingObserver();
        var m = EventRig.LongMode(obs);
        m.Cpu.R[14] = 1;
        EventRig.Gate64(m.Memory, Vector.DB, EventRig.HandlerAt(Vector.DB));
        EventRig.Gate64(m.Memory, Vector.BP, EventRig.HandlerAt(Vector.BP));
        EventRig.Load64(m, EventRig.HandlerAt(Vector.DB), (a, l) => { if (dbHandler != null) dbHandler(a); else { a.add(r15, r14); a.iretq(); } });
        EventRig.Load64(m, EventRig.HandlerAt(Vector.BP), (a, l) => { a.hlt(); });
        return (m, obs);
    }

    [Fact]
    public void Single_stepping_three_instructions_yields_three_db_traps_with_bs()
    {
        var (m, obs) = Setup();
        using var _m = m;
        var c = m.Cpu;
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rax, 1); a.Label(ref l[0]);
            a.mov(rbx, 2); a.Label(ref l[1]);
            a.mov(rcx, 3); a.Label(ref l[2]);
            a.int3();
        }, 3);
        c.SetRflags(0x102);   // TF
        m.Run(100);

        Assert.Equal(3UL, c.R[15]);
        Assert.Equal(4, obs.Events.Count);   // three #DB, then #BP (INT3 enters its handler with TF clear)
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Vector.DB, obs.Events[i].Vector);
            Assert.Equal(EventKind.Trap, obs.Events[i].Kind);
            Assert.Equal(at[i], obs.Events[i].FromRip);
            Assert.Equal(Rflags.TF, obs.Frames[i][2] & Rflags.TF);   // saved image keeps TF
        }
        Assert.Equal(Vector.BP, obs.Events[3].Vector);
        Assert.NotEqual(0UL, c.Dr6 & CpuCore.Dr6Bs);
        Assert.Equal(0UL, c.GetRflags() & Rflags.TF);
    }

    [Fact]
    public void Iretq_that_sets_tf_does_not_trap_on_itself_only_after_the_next_instruction()
    {
        var (m, obs) = Setup();
        using var _m = m;
        var c = m.Cpu;
        var target = EventRig.Load64(m, TestMachine.CodeBase + 0x100, (a, l) =>
        {
            a.mov(rax, 1); a.Label(ref l[0]);
            a.mov(rbx, 2); a.Label(ref l[1]);
            a.int3();
        }, 2);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.iretq(); });
        ulong frame = TestMachine.StackTop - 40;
        ulong[] words = [TestMachine.CodeBase + 0x100, 0x10, 0x102, TestMachine.StackTop, 0x18];
        for (int i = 0; i < 5; i++) m.Memory.Write(frame + (ulong)(i * 8), 8, words[i]);
        c.R[Reg.RSP] = frame;
        m.Run(100);

        Assert.Equal(2UL, c.R[15]);
        Assert.Equal(target[0], obs.Events[0].FromRip);
        Assert.Equal(target[1], obs.Events[1].FromRip);
        Assert.Equal(Vector.BP, obs.Events[2].Vector);
    }

    [Fact]
    public void Dr0_execution_breakpoint_faults_before_the_instruction_and_rf_lets_it_run_once()
    {
        // Handler sets RF in the saved RFLAGS (add [rsp+16], r13 with r13 = RF) before IRETQ.
        var (m, obs) = Setup(a => { a.add(r15, r14); a.add(__qword_ptr[rsp + 16], r13); a.iretq(); });
        using var _m = m;
        var c = m.Cpu;
        c.R[13] = Rflags.RF;
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rax, 1); a.Label(ref l[0]);
            a.mov(rbx, 2);
            a.mov(rcx, 3);
            a.int3();
        }, 1);
        c.Dr[0] = at[0];
        c.Dr7 = 0x1;   // L0, R/W0 = 00 (execute), LEN0 = 00
        c.OnDebugRegistersChanged();
        m.Run(100);

        Assert.Equal(1UL, c.R[15]);
        Assert.Equal(2UL, c.R[Reg.RBX]);
        Assert.Equal(3UL, c.R[Reg.RCX]);
        var e = obs.Events[0];
        Assert.Equal(Vector.DB, e.Vector);
        Assert.Equal(EventKind.Fault, e.Kind);
        Assert.Equal(at[0], e.FromRip);
        Assert.Equal(CpuCore.Dr6B0, c.Dr6 & 0xF);
        Assert.Equal(Vector.BP, obs.Events[1].Vector);
        Assert.Equal(0UL, c.GetRflags() & Rflags.RF);   // cleared after the instruction completed
    }

    [Fact]
    public void Dr0_data_write_breakpoint_traps_after_the_write_and_sets_b0()
    {
        var (m, obs) = Setup();
        using var _m = m;
        var c = m.Cpu;
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rcx, (long)TestMachine.DataBase);
            a.mov(rax, 0x1234);
            a.mov(__qword_ptr[rcx + 16], rax);      // fills the write TLB for the page before arming
            a.mov(rbx, __qword_ptr[rcx + 8]);       // read: not a hit for R/W = 01
            a.mov(__qword_ptr[rcx + 8], rax);       // write: hit
            a.Label(ref l[0]);
            a.mov(rdx, 5);
            a.int3();
        }, 1);
        // Run up to the first write so a stale TLB entry would exist if arming did not flush it.
        Assert.Equal(3, m.Run(3));
        c.Dr[1] = TestMachine.DataBase + 12;   // inside an aligned 8-byte range starting at +8
        c.Dr7 = (1UL << 2) | (1UL << 20) | (2UL << 22);   // L1, R/W1 = 01 (write), LEN1 = 10 (8 bytes)
        c.OnDebugRegistersChanged();
        m.Run(100);

        Assert.Equal(1UL, c.R[15]);
        var e = obs.Events[0];
        Assert.Equal(Vector.DB, e.Vector);
        Assert.Equal(EventKind.Trap, e.Kind);
        Assert.Equal(at[0], e.FromRip);
        Assert.Equal(0x1234UL, m.Memory.Read(TestMachine.DataBase + 8, 8));
        Assert.Equal(2UL, c.Dr6 & 0xF);           // B1
        Assert.Equal(5UL, c.R[Reg.RDX]);
    }

    [Fact]
    public void Int1_delivers_db_as_a_trap_without_the_dpl_check()
    {
        var (m, obs) = Setup(a => { a.hlt(); });
        using var _m = m;
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.int1(); a.hlt(); });
        m.Run(100);
        var e = Assert.Single(obs.Events);
        Assert.Equal(EventKind.PrivilegedSoftwareException, e.Kind);
        Assert.Equal(TestMachine.CodeBase + 1, e.FromRip);
    }
}

public class DebugShadowTests
{
    [Fact]
    public void Data_breakpoint_on_mov_ss_is_held_over_int3_and_delivered_at_the_bp_handler_first_instruction()
    {
        // SDM Vol. 3A §6.8.3: MOV SS inhibits debug exceptions until the next instruction completes;
        // when that instruction is INT3, the held #DB arrives inside the #BP handler (CVE-2018-8897).
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        var c = m.Cpu;
        EventRig.Gate64(m.Memory, Vector.DB, EventRig.HandlerAt(Vector.DB));
        EventRig.Gate64(m.Memory, Vector.BP, EventRig.HandlerAt(Vector.BP));
        EventRig.Load64(m, EventRig.HandlerAt(Vector.DB), (a, l) => { a.hlt(); });
        EventRig.Load64(m, EventRig.HandlerAt(Vector.BP), (a, l) => { a.nop(); a.hlt(); });
        m.Memory.Write(TestMachine.DataBase, 2, 0x28);
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rcx, (long)TestMachine.DataBase);
            a.mov(ss, __word_ptr[rcx]);
            a.int3();
            a.hlt();
        });
        c.Dr[0] = TestMachine.DataBase;
        c.Dr7 = 1 | (3UL << 16) | (1UL << 18);   // L0, R/W0 = 11 (read/write), LEN0 = 01 (2 bytes)
        c.OnDebugRegistersChanged();
        m.Run(100);

        Assert.Equal(2, obs.Events.Count);
        Assert.Equal(Vector.BP, obs.Events[0].Vector);
        Assert.Equal(Vector.DB, obs.Events[1].Vector);
        Assert.Equal(EventRig.HandlerAt(Vector.BP), obs.Events[1].FromRip);
        Assert.Equal(1UL, c.Dr6 & 0xF);
    }

    // SDM Vol. 3A §6.8.3 / Vol. 3B §17.3.1.4, as kvm-unit-tests `debug` checks them.
    private static (TestMachine M, RecordingObserver Obs) StepRig()
    {
        var obs = new RecordingObserver();
        var m = EventRig.LongMode(obs);
        EventRig.Gate64(m.Memory, Vector.DB, EventRig.HandlerAt(Vector.DB));
        // The #DB handler counts itself in R15 and records DR6 in R13, then returns with RF set in the image
        // (so an instruction breakpoint lets its instruction run; TF stays as it was).
        EventRig.Load64(m, EventRig.HandlerAt(Vector.DB), (a, l) =>
        {
            a.inc(r15); a.mov(r13, dr6); a.bts(__qword_ptr[rsp + 16], 16); a.iretq();
        });
        m.Memory.Write(TestMachine.DataBase, 2, 0x18);
        return (m, obs);
    }

    [Fact]
    public void Single_step_trap_after_mov_ss_is_suppressed_so_the_next_instruction_traps_first()
    {
        var (m, obs) = StepRig();
        using var _m = m;
        var c = m.Cpu;
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rcx, (long)TestMachine.DataBase);
            a.pushfq(); a.or(__qword_ptr[rsp], 0x100); a.popfq();   // TF from here on
            a.mov(ss, __word_ptr[rcx]); a.Label(ref l[0]);
            a.nop(); a.Label(ref l[1]);
            a.pushfq(); a.and(__qword_ptr[rsp], ~0x100); a.popfq(); a.Label(ref l[2]);
            a.hlt();
        }, 3);
        m.Run(100);

        // The first trap follows the NOP, not the MOV SS; then PUSHFQ, AND and POPFQ trap (POPFQ began with TF = 1).
        Assert.Equal(4UL, c.R[15]);
        Assert.Equal(at[1], obs.Events[0].FromRip);
        Assert.Equal(at[2], obs.Events[3].FromRip);
        Assert.Equal(0xFFFF_4FF0UL, c.R[13]);
    }

    [Fact]
    public void Icebp_after_mov_ss_under_single_step_gives_one_db_without_bs_and_no_extra_trap_in_the_handler()
    {
        var (m, obs) = StepRig();
        using var _m = m;
        var c = m.Cpu;
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rcx, (long)TestMachine.DataBase);
            a.pushfq(); a.or(__qword_ptr[rsp], 0x100); a.popfq();
            a.mov(ss, __word_ptr[rcx]);
            a.int1(); a.Label(ref l[0]);
            a.int1(); a.Label(ref l[1]);
            a.pushfq(); a.and(__qword_ptr[rsp], ~0x100); a.popfq();
            a.hlt();
        }, 2);
        c.Dr6 = 0xFFFF_0FF0;
        m.Run(100);

        Assert.Equal(5UL, c.R[15]);   // two ICEBPs, then PUSHFQ, AND, POPFQ single-steps
        Assert.Equal(at[0], obs.Events[0].FromRip);
        Assert.Equal(at[1], obs.Events[1].FromRip);
        Assert.All(obs.Events, e => Assert.Equal(Vector.DB, e.Vector));
        // No event was delivered at the handler's own first instruction.
        Assert.DoesNotContain(obs.Events, e => e.FromRip == EventRig.HandlerAt(Vector.DB));
    }

    [Fact]
    public void Data_breakpoint_held_by_mov_ss_is_reported_by_the_icebp_db_itself()
    {
        var (m, obs) = StepRig();
        using var _m = m;
        var c = m.Cpu;
        EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rcx, (long)TestMachine.DataBase);
            a.mov(ss, __word_ptr[rcx]);
            a.int1();
            a.hlt();
        });
        c.Dr[1] = TestMachine.DataBase;
        c.Dr7 = (1UL << 2) | (3UL << 20) | (3UL << 22);   // L1, R/W1 = 11, LEN1 = 4 bytes
        c.OnDebugRegistersChanged();
        m.Run(100);

        var e = Assert.Single(obs.Events);
        Assert.Equal(EventKind.PrivilegedSoftwareException, e.Kind);
        Assert.Equal(1UL, c.R[15]);
        Assert.Equal(0xFFFF_0FF2UL, c.R[13]);   // B1 reported by the one #DB
    }

    [Fact]
    public void A_new_breakpoint_rewrites_b0_to_b3_but_keeps_bs_that_software_left_in_dr6()
    {
        var (m, obs) = StepRig();
        using var _m = m;
        var c = m.Cpu;
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) => { a.nop(); a.Label(ref l[0]); a.nop(); a.hlt(); }, 1);
        Assert.Equal(-1, c.TryWriteDr(6, 0x4002));                      // BS | B1, as software wrote them
        Assert.Equal(-1, c.TryWriteDr(2, at[0]));
        Assert.Equal(-1, c.TryWriteDr(7, 0x420));                       // G2, execute
        m.Run(100);

        Assert.Equal(at[0], Assert.Single(obs.Events).FromRip);
        Assert.Equal(0xFFFF_4FF4UL, c.R[13]);   // B2 replaces B1; BS stays
    }

    [Fact]
    public void A_code_breakpoint_on_the_instruction_after_mov_ss_is_not_reported()
    {
        // Intel: MOV-SS blocking inhibits the instruction breakpoint and the instruction runs (SDM Vol. 3A §6.8.3;
        // kvm-unit-tests emulator "#DB suppressed after MOV SS").
        var (m, obs) = StepRig();
        using var _m = m;
        var c = m.Cpu;
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rcx, (long)TestMachine.DataBase);
            a.mov(ss, __word_ptr[rcx]);
            a.Label(ref l[0]);
            a.mov(ebx, 7);
            a.nop(); a.Label(ref l[1]);
            a.mov(edx, 9);
            a.hlt();
        }, 2);
        Assert.Equal(-1, c.TryWriteDr(0, at[0]));
        Assert.Equal(-1, c.TryWriteDr(1, at[1]));
        Assert.Equal(-1, c.TryWriteDr(7, 0x40A));                      // G0, G1: execute breakpoints
        m.Run(100);

        Assert.Equal(7UL, c.R[Reg.RBX]);
        Assert.Equal(at[1], Assert.Single(obs.Events).FromRip);        // only the breakpoint outside the shadow
        Assert.Equal(0xFFFF_0FF2UL, c.R[13]);
    }
}
