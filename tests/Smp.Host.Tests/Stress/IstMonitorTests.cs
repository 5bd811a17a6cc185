using Smp.Devices.Cpu;
using Smp.Host.Stress;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Tests.Stress;

public class IstMonitorTests
{
    internal const ulong NmiStackTop = 0x1F_4000, DbStackTop = 0x1F_8000, DfStackTop = 0x1F_6000;

    /// <summary>NMI gate on IST2, #BP on IST0; the NMI handler runs INT3 then halts, the #BP handler just IRETs.</summary>
    internal static (StressRig Rig, IstMonitor Monitor) NaiveNmiWithInt3()
    {
        var monitor = new IstMonitor();
        var rig = new StressRig(null);
        CompositeCpuObserver.Attach(rig.Cpu, monitor);
        rig.Ist(2, NmiStackTop);
        rig.Gate(Vector.NMI, ist: 2);
        rig.Gate(Vector.BP);
        rig.Handler(Vector.BP, a => a.iretq());
        rig.Handler(Vector.NMI, a => { a.int3(); a.nop(); a.hlt(); });
        rig.IdleLoop();
        return (rig, monitor);
    }

    [Fact]
    public void Nmi_let_in_by_the_iret_of_a_nested_int3_clobbers_the_live_nmi_frame_and_is_reported_once()
    {
        var (rig, monitor) = NaiveNmiWithInt3();
        using var _ = rig;
        rig.Run(3);
        rig.Cpu.InjectNmi();
        rig.Run(1);                          // NMI 1 on IST2
        var first = Assert.Single(monitor.LiveFrames(0));
        Assert.Equal((NmiStackTop - 40, NmiStackTop, 2), (first.Start, first.End, first.Ist));
        rig.Cpu.InjectNmi();                 // latched while NMIs are blocked
        rig.Run(20);                         // INT3 → #BP IRET unblocks → NMI 2 reloads RSP from IST2

        var v = Assert.Single(monitor.Violations);
        Assert.Equal(StressViolationKind.IstClobber, v.Kind);
        Assert.Equal(Vector.NMI, v.Vector);
        Assert.Equal(2, v.Ist);
        Assert.Equal(StressRig.HandlerAt(Vector.NMI) + 1, v.Rip);   // NMI 2 hit the first handler right after its INT3
        Assert.Equal("NMI on IST2 over live NMI frame", v.Details);
        Assert.True(first.Clobbered);
        Assert.Equal(2, monitor.NmisDelivered(0));
        // Both NMI frames are still live (neither handler returned); the #BP frames were retired.
        Assert.Equal([Vector.NMI, Vector.NMI], monitor.LiveFrames(0).Select(f => f.Vector));
    }

    private static IstMonitor RunCopyingNmiHandler(bool trustCopies)
    {
        var monitor = new IstMonitor { TrustCopiedFrames = trustCopies };
        using var rig = new StressRig(monitor);
        rig.Ist(2, NmiStackTop);
        rig.Gate(Vector.NMI, ist: 2);
        rig.Gate(Vector.BP);
        rig.Handler(Vector.BP, a => a.iretq());
        // Like Linux's "outermost" frame: copy the five hardware words below, then nest through INT3.
        rig.Handler(Vector.NMI, a =>
        {
            a.sub(rsp, 48);
            for (int i = 0; i < 5; i++) { a.mov(rax, __qword_ptr[rsp + 48 + i * 8]); a.mov(__qword_ptr[rsp + i * 8], rax); }
            a.int3();
            a.hlt();
        });
        rig.IdleLoop();
        rig.Run(3);
        rig.Cpu.InjectNmi();
        rig.Run(1);
        rig.Cpu.InjectNmi();
        rig.Run(40);
        Assert.Equal(2, monitor.NmisDelivered(0));
        return monitor;
    }

    [Fact]
    public void Overwriting_a_hardware_frame_the_handler_already_copied_is_software_managed_nesting()
    {
        var monitor = RunCopyingNmiHandler(trustCopies: true);
        Assert.Empty(monitor.Violations);
        Assert.True(monitor.LiveFrames(0)[0].Relocated);
        Assert.False(monitor.LiveFrames(0)[0].Clobbered);

        var strict = RunCopyingNmiHandler(trustCopies: false);
        Assert.Equal(StressViolationKind.IstClobber, Assert.Single(strict.Violations).Kind);
    }

    [Fact]
    public void Debug_exception_on_its_own_ist_inside_the_nmi_handler_is_a_legal_nesting()
    {
        var monitor = new IstMonitor();
        using var rig = new StressRig(monitor);
        rig.Ist(2, NmiStackTop);
        rig.Ist(3, DbStackTop);
        rig.Gate(Vector.NMI, ist: 2);
        rig.Gate(Vector.DB, ist: 3);
        rig.Handler(Vector.DB, a => a.iretq());
        rig.Handler(Vector.NMI, a => { a.int1(); a.nop(); a.iretq(); });
        rig.IdleLoop();
        rig.Run(3);
        rig.Cpu.InjectNmi();
        rig.Run(2);                          // NMI, then #DB (INT1) on IST3 while the NMI frame is live
        Assert.Equal([(Vector.NMI, 2), (Vector.DB, 3)], monitor.LiveFrames(0).Select(f => (f.Vector, f.Ist)));
        rig.Run(20);                         // #DB IRET, NMI IRET, back to the loop
        Assert.Empty(monitor.Violations);
        Assert.Empty(monitor.LiveFrames(0));
        Assert.Equal(1, monitor.DeliveriesByDepth[2]);
    }

    [Fact]
    public void Same_vector_on_the_same_stack_while_its_frame_is_live_is_a_reentry()
    {
        var monitor = new IstMonitor();
        using var rig = new StressRig(monitor);
        rig.Gate(Vector.BP);
        // The #BP handler runs INT3 once more (first entry only), then returns.
        rig.Handler(Vector.BP, a =>
        {
            var done = a.CreateLabel();
            a.inc(__qword_ptr[StressRig.DataBase]);
            a.cmp(__qword_ptr[StressRig.DataBase], 1);
            a.jne(done);
            a.int3();
            a.Label(ref done);
            a.iretq();
        });
        rig.Load(StressRig.CodeBase, a => { a.int3(); a.hlt(); });
        rig.Run(30);
        var v = Assert.Single(monitor.Violations);
        Assert.Equal(StressViolationKind.HandlerReentered, v.Kind);
        Assert.Equal(Vector.BP, v.Vector);
        Assert.StartsWith("#BP handler re-entered on its stack", v.Details);
        Assert.Equal(RunState.Halted, rig.Cpu.State);
        Assert.Empty(monitor.LiveFrames(0));
    }

    [Fact]
    public void Nested_debug_exception_on_a_shifted_ist_top_is_not_a_reentry()
    {
        var monitor = new IstMonitor();
        using var rig = new StressRig(monitor);
        rig.Ist(3, DbStackTop);
        rig.Gate(Vector.DB, ist: 3);
        ulong slot = StressRig.IstSlot(3);
        // Linux 5.2-5.7 style: lower TSS.IST[3] by 4 KiB around the handler body, so a nested #DB lands below.
        rig.Handler(Vector.DB, a =>
        {
            var done = a.CreateLabel();
            a.sub(__qword_ptr[slot], 0x1000);
            a.inc(__qword_ptr[StressRig.DataBase]);
            a.cmp(__qword_ptr[StressRig.DataBase], 1);
            a.jne(done);
            a.int1();
            a.Label(ref done);
            a.add(__qword_ptr[slot], 0x1000);
            a.iretq();
        });
        rig.Load(StressRig.CodeBase, a => { a.int1(); a.hlt(); });
        rig.Run(40);
        Assert.Empty(monitor.Violations);
        Assert.Equal(2UL, rig.Memory.Read(StressRig.DataBase, 8));
        Assert.Equal(DbStackTop, rig.Memory.Read(slot, 8));
        Assert.Equal(RunState.Halted, rig.Cpu.State);
    }

    [Fact]
    public void Stack_overflow_into_an_unmapped_guard_page_is_a_double_fault_and_a_guard_hit()
    {
        var monitor = new IstMonitor();
        using var rig = new StressRig(monitor);
        // Split the 2 MiB page of the task stack into 4 KiB pages and unmap the guard page below 0x1F_0000.
        const ulong table = StressRig.PageTables + 0x3000, guard = 0x1E_F000;
        for (ulong j = 0; j < 512; j++) rig.Memory.Write(table + j * 8, 8, (j << 12) | 7);
        rig.Memory.Write(table + ((guard >> 12) & 511) * 8, 8, 0);
        rig.Memory.Write(StressRig.PageTables + 0x2000, 8, table | 7);
        rig.Cpu.FlushTlb();
        monitor.AddGuardRange(guard, guard + 0x1000);
        rig.Ist(1, DfStackTop);
        rig.Gate(Vector.BP);
        rig.Gate(Vector.PF);
        rig.Gate(Vector.DF, ist: 1);
        rig.Handler(Vector.DF, a => a.hlt());
        rig.Load(StressRig.CodeBase, a => { a.mov(rsp, guard + 0x1000 + 16); a.int3(); a.hlt(); });
        rig.Run(10);                          // #BP push faults (#PF), #PF push faults → #DF on IST1

        Assert.Equal([StressViolationKind.DoubleFault, StressViolationKind.StackGuardHit], monitor.Violations.Select(v => v.Kind));
        Assert.All(monitor.Violations, v => Assert.Equal((Vector.DF, 1), (v.Vector, v.Ist)));
        Assert.Equal(RunState.Halted, rig.Cpu.State);
    }

    [Fact]
    public void Triple_fault_is_reported_as_shutdown()
    {
        var monitor = new IstMonitor();
        using var rig = new StressRig(monitor);
        rig.Load(StressRig.CodeBase, a => { a.int3(); a.hlt(); });   // no gates at all: #NP → #DF → shutdown
        rig.Run(10);
        var v = Assert.Single(monitor.Violations);
        Assert.Equal(StressViolationKind.Shutdown, v.Kind);
        Assert.Equal(RunState.Shutdown, rig.Cpu.State);
        Assert.Contains("triple fault", v.Details);
    }

    [Fact]
    public void Nmi_counter_below_the_delivered_count_is_a_lost_nmi()
    {
        var monitor = new IstMonitor();
        using var rig = new StressRig(monitor);
        const ulong counter = StressRig.DataBase + 0x100;
        rig.Ist(2, NmiStackTop);
        rig.Gate(Vector.NMI, ist: 2);
        // The handler counts only when a flag is clear: the second NMI's work is skipped (a software loss).
        rig.Handler(Vector.NMI, a =>
        {
            var skip = a.CreateLabel();
            a.cmp(__qword_ptr[StressRig.DataBase], 0);
            a.jne(skip);
            a.inc(__qword_ptr[counter]);
            a.Label(ref skip);
            a.mov(__qword_ptr[StressRig.DataBase], 1);
            a.iretq();
        });
        rig.IdleLoop();
        for (int i = 0; i < 2; i++) { rig.Run(5); rig.Cpu.InjectNmi(); rig.Run(10); }
        rig.Cpu.InjectNmi();
        rig.Cpu.InjectNmi();                  // collapsed by hardware: not delivered, not counted
        rig.Run(10);
        Assert.Equal(3, monitor.NmisDelivered(0));
        Assert.Null(monitor.ExpectCounter(rig.Cpu, counter, 1));
        var v = monitor.ExpectCounter(rig.Cpu, counter, monitor.NmisDelivered(0));
        Assert.NotNull(v);
        Assert.Equal(StressViolationKind.NmiLost, v.Kind);
        Assert.Equal("NMI counter at 0x300100 is 1, expected 3 (3 delivered by hardware)", v.Details);
    }
}
