using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Debugger;
using Smp.Devices.Tests.Cpu.Events;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu;

public class DebuggerHooksTests
{
    private const ulong Data = TestMachine.DataBase;

    // A loop that calls a function which updates memory: 400 passes of 11 instructions.
    private static ulong[] LoadLoop(TestMachine m) => EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
    {
        a.mov(rcx, 400);
        a.Label(ref l[0]);
        a.call(l[1]);
        a.add(rbx, rax);
        a.dec(rcx);
        a.jnz(l[0]);
        a.hlt();
        a.Label(ref l[1]);
        a.push(rbp);
        a.mov(rbp, rsp);
        a.mov(rax, __qword_ptr[Data]);
        a.Label(ref l[2]);
        a.add(rax, rcx);
        a.mov(__qword_ptr[Data], rax);
        a.Label(ref l[3]);
        a.leave();
        a.ret();
    }, 4);

    // Runs to the end, resuming after each stop as a debugger would, and returns the stops.
    private static List<DebugStop> RunResuming(TestMachine m, long budget = 100_000)
    {
        var stops = new List<DebugStop>();
        long used = 0;
        while (used < budget)
        {
            used += m.Cpu.Run(budget - used);
            if (!m.Cpu.CheckDebugStop()) break;
            stops.Add(m.Cpu.DebugStop);
            m.Cpu.DebugResume(reported: true);
        }

        return stops;
    }

    [Fact]
    public void A_breakpoint_stops_before_its_instruction_without_writing_guest_memory_or_debug_registers()
    {
        using var m = TestMachine.LongMode();
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rax, 1);
            a.mov(rbx, 2);
            a.Label(ref l[0]);
            a.mov(rcx, 3);
            a.hlt();
        }, 1);
        var bytes = new byte[8];
        m.Memory.Copy(at[0], bytes);
        var points = new DebugPoints();
        points.AddBreakpoint(at[0], hardware: false);
        m.Cpu.DebugPoints = points;

        m.Run(100);

        Assert.True(m.Cpu.CheckDebugStop());
        Assert.Equal(new DebugStop(DebugStopKind.Breakpoint, at[0]), m.Cpu.DebugStop);
        Assert.Equal(at[0], m.Cpu.Rip);
        Assert.Equal((1UL, 2UL, 0UL), (m.Cpu.R[Reg.RAX], m.Cpu.R[Reg.RBX], m.Cpu.R[Reg.RCX]));
        Assert.Equal(2, m.Cpu.InstructionsRetired);
        var after = new byte[8];
        m.Memory.Copy(at[0], after);
        Assert.Equal(bytes, after);
        Assert.Equal(0x400UL, m.Cpu.Dr7);

        m.Cpu.DebugResume(reported: true);
        m.Run(100);
        Assert.False(m.Cpu.CheckDebugStop());
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(3UL, m.Cpu.R[Reg.RCX]);
    }

    [Fact]
    public void Breakpoints_set_in_a_hot_compiled_loop_are_hit_every_pass_and_resuming_changes_nothing()
    {
        using var reference = TestMachine.LongMode();
        LoadLoop(reference);
        reference.Run();

        using var m = TestMachine.LongMode();
        var at = LoadLoop(m);
        m.Run(3_000);   // long enough for the loop's blocks to be compiled
        Assert.True(m.Cpu.BlocksCompiled > 0);
        long done = m.Cpu.InstructionsRetired;
        var points = new DebugPoints();
        points.AddBreakpoint(at[2], hardware: true);   // mid-block: the add after the load
        points.AddBreakpoint(at[3], hardware: false);  // the leave
        m.Cpu.DebugPoints = points;

        var stops = RunResuming(m);

        int passesLeft = 400 - (int)((done - 1) / 11);
        Assert.InRange(stops.Count, 2 * passesLeft - 2, 2 * passesLeft);
        Assert.All(stops, s => Assert.Equal(DebugStopKind.Breakpoint, s.Kind));
        Assert.Equal(at[2], stops[^2].LinearIp);
        Assert.Equal(at[3], stops[^1].LinearIp);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(reference.Cpu.InstructionsRetired, m.Cpu.InstructionsRetired);
        Assert.Equal(reference.Cpu.R[Reg.RBX], m.Cpu.R[Reg.RBX]);
        Assert.Equal(reference.Memory.Read(Data, 8), m.Memory.Read(Data, 8));
    }

    [Fact]
    public void Single_steps_retire_one_instruction_each_and_honour_the_sti_shadow()
    {
        var obs = new RecordingObserver();
        using var m = EventRig.LongMode(obs);
        var c = m.Cpu;
        c.InterruptSource = new FakeInterruptSource(c, 0x30, _ => true);
        EventRig.Gate64(m.Memory, 0x30, EventRig.HandlerAt(0x30));
        EventRig.Load64(m, EventRig.HandlerAt(0x30), (a, l) => a.hlt());
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rax, 1);
            a.Label(ref l[0]);
            a.sti();
            a.Label(ref l[1]);
            a.mov(rbx, 2);
            a.Label(ref l[2]);
            a.mov(rdx, 3);
            a.hlt();
        }, 3);
        c.DebugPoints = new DebugPoints();

        ulong Step()
        {
            c.DebugStepOnce();
            c.Run(1_000);
            Assert.True(c.CheckDebugStop());
            Assert.Equal(DebugStopKind.Step, c.DebugStop.Kind);
            c.DebugResume(reported: true);
            return c.Rip;
        }

        Assert.Equal(at[0], Step());            // mov rax, 1
        Assert.Equal(at[1], Step());            // sti: the shadow covers the next boundary
        Assert.Empty(obs.Events);
        Assert.Equal(at[2], Step());            // mov rbx, 2 runs inside the shadow, no interrupt before it
        Assert.Empty(obs.Events);
        Assert.Equal(3, c.InstructionsRetired);
        Assert.Equal(EventRig.HandlerAt(0x30), Step());   // the pending interrupt is the next step
        Assert.Equal(3, c.InstructionsRetired);
        Assert.Equal(0UL, c.R[Reg.RDX]);
        Assert.Equal(0x30, Assert.Single(obs.Events).Vector);
    }

    [Fact]
    public void A_step_that_halts_is_complete_when_run_returns()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => a.hlt());
        m.Cpu.DebugStepOnce();
        m.Run(100);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.True(m.Cpu.CheckDebugStop());
        Assert.Equal(DebugStopKind.Step, m.Cpu.DebugStop.Kind);
    }

    [Fact]
    public void Watchpoints_stop_after_the_accessing_instruction_even_on_a_page_already_in_the_tlb()
    {
        using var m = TestMachine.LongMode();
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rax, __qword_ptr[Data]);         // caches the page in the TLB before the watchpoints exist
            a.Label(ref l[0]);
            a.mov(__qword_ptr[Data + 16], rax);    // same page, not watched
            a.mov(__qword_ptr[Data + 8], rax);     // written
            a.Label(ref l[1]);
            a.mov(rbx, __qword_ptr[Data + 12]);    // read, overlapping
            a.Label(ref l[2]);
            a.hlt();
        }, 3);
        var points = new DebugPoints();
        points.AddBreakpoint(at[0], hardware: false);
        m.Cpu.DebugPoints = points;
        m.Run(100);
        Assert.Equal(DebugStopKind.Breakpoint, m.Cpu.DebugStop.Kind);
        m.Cpu.DebugResume(reported: true);

        Assert.True(points.AddWatchpoint(new Watchpoint(Data + 8, 8, WatchKind.Write)));
        Assert.True(points.AddWatchpoint(new Watchpoint(Data + 8, 8, WatchKind.Read)));
        m.Cpu.OnDebugPointsChanged();
        var stops = RunResuming(m);

        Assert.Equal(2, stops.Count);
        Assert.Equal(new DebugStop(DebugStopKind.Watchpoint, at[1], new Watchpoint(Data + 8, 8, WatchKind.Write), Data + 8), stops[0]);
        Assert.Equal(new DebugStop(DebugStopKind.Watchpoint, at[2], new Watchpoint(Data + 8, 8, WatchKind.Read), Data + 12), stops[1]);
        Assert.Equal(RunState.Halted, m.Cpu.State);
    }

    [Fact]
    public void The_debugger_page_walk_sets_no_accessed_bit_and_reports_unmapped_pages()
    {
        using var m = TestMachine.LongMode();
        m.SplitLargePage(Data);
        ulong pte = TestMachine.PageTables + 0x3000 + (Data >> 21) * 0x1000 + ((Data >> 12) & 511) * 8;
        m.Memory.Write(pte, 8, m.Memory.Read(pte, 8) & ~0x20UL);

        Assert.True(m.Cpu.TryTranslateForDebugger(Data + 0x123, out ulong pa));
        Assert.Equal(Data + 0x123, pa);
        Assert.Equal(0UL, m.Memory.Read(pte, 8) & 0x20);
        m.SetPagePresent(Data, false);
        Assert.False(m.Cpu.TryTranslateForDebugger(Data, out _));
        Assert.False(m.Cpu.TryTranslateForDebugger(0x8000_0000_0000_0000UL, out _));
        Assert.Equal(0UL, m.Cpu.Cr2);
    }

    [Fact]
    public void The_debugger_page_walk_follows_1_gib_pages_and_refuses_reserved_bits_as_the_cpu_does()
    {
        using var m = TestMachine.LongMode();
        const ulong pdpte = TestMachine.PageTables + 0x1000 + 8;   // linear 1 GiB .. 2 GiB
        m.Memory.Write(pdpte, 8, 0x87);                             // a 1 GiB page at physical 0 (SDM Vol. 3A Table 4-16)
        const ulong la = 0x4000_0000UL + 0x12_3456;

        Assert.True(m.Cpu.TryTranslateForDebugger(la, out ulong pa));
        Assert.Equal(0x12_3456UL, pa);
        Assert.Equal(m.Cpu.Translate(la, AccessKind.Read), pa);
        m.Memory.Write(pdpte, 8, 0x87 | (1UL << 13));               // bits 29:13 of a 1 GiB page are reserved
        Assert.False(m.Cpu.TryTranslateForDebugger(la, out _));
        m.Memory.Write(pdpte, 8, 0x87 | (1UL << CpuCore.MaxPhysAddrBits));   // so is everything from MAXPHYADDR up
        Assert.False(m.Cpu.TryTranslateForDebugger(la, out _));
    }
}
