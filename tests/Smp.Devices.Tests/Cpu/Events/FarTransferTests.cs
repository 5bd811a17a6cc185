using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class FarTransferTests
{
    private static void WriteGdt(TestMachine m)
    {
        var mem = m.Memory;
        mem.Write(TestMachine.GdtBase + 0x00, 8, 0);
        mem.Write(TestMachine.GdtBase + 0x08, 8, 0x00CF_9B00_0000_FFFFUL);   // code32
        mem.Write(TestMachine.GdtBase + 0x10, 8, 0x00AF_9B00_0000_FFFFUL);   // code64
        mem.Write(TestMachine.GdtBase + 0x18, 8, 0x00CF_9300_0000_FFFFUL);   // data
        m.Cpu.Gdtr = new DescriptorTableRegister { Base = TestMachine.GdtBase, Limit = 0x1F };
    }

    [Fact]
    public void Far_jumps_take_real_mode_to_protected_mode_and_then_to_64_bit_mode()
    {
        using var m = TestMachine.RealMode();
        var c = m.Cpu;
        var obs = new RecordingModeObserver();
        c.Observer = obs;
        WriteGdt(m);
        // 16-bit: mov ax, 0x18 (via eax); then (after CR0.PE) jmp dword 0x08:0x8000.
        EventRig.Load(m, 0x7C00, 16, (a, l) =>
        {
            a.mov(eax, 0x18);
            a.mov(ds, ax);
            a.hlt();
            a.db(0x66, 0xEA, 0x00, 0x80, 0x00, 0x00, 0x08, 0x00);   // jmp dword 0x08:0x00008000
        });
        m.Run(100);
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x180UL, c.Segs[Seg.DS].Base);   // real mode: base = selector × 16

        c.Cr0 |= 1;                                  // what MOV CR0 (system helper) would do
        c.UpdateMode();
        Assert.Equal(CpuMode.Protected16, c.Mode);
        // 32-bit code: load DS through the GDT, halt; then far jump to the 64-bit code segment.
        EventRig.Load(m, 0x8000, 32, (a, l) =>
        {
            a.mov(eax, 0x18);
            a.mov(ds, ax);
            a.hlt();
            a.db(0xEA, 0x00, 0x90, 0x00, 0x00, 0x10, 0x00);         // jmp 0x10:0x00009000
        });
        c.State = RunState.Running;
        m.Run(100);
        Assert.Equal(CpuMode.Protected32, c.Mode);
        Assert.Equal(0x08, c.Segs[Seg.CS].Selector);
        Assert.Equal(0UL, c.Segs[Seg.DS].Base);
        Assert.Equal(0xFFFF_FFFFu, c.Segs[Seg.DS].Limit);
        Assert.Equal(0x93UL, m.Memory.Read(TestMachine.GdtBase + 0x18 + 5, 1));   // accessed bit set

        // Enter IA-32e mode the way the trampoline does (PAE, CR3, EFER.LME, CR0.PG) — done here directly.
        var mem = m.Memory;
        mem.Write(TestMachine.PageTables, 8, (TestMachine.PageTables + 0x1000) | 7);
        mem.Write(TestMachine.PageTables + 0x1000, 8, (TestMachine.PageTables + 0x2000) | 7);
        for (ulong i = 0; i < 8; i++) mem.Write(TestMachine.PageTables + 0x2000 + i * 8, 8, (i << 21) | 0x87);
        c.Cr3 = TestMachine.PageTables;
        c.Cr4 |= 0x20;
        c.Efer = 0x500;
        c.Cr0 |= 0x8000_0000;
        c.UpdateMode();
        c.FlushTlb();
        Assert.Equal(CpuMode.Compat32, c.Mode);
        EventRig.Load(m, 0x9000, 64, (a, l) => { a.mov(rax, 0x1122_3344_5566_7788L); a.hlt(); });
        c.State = RunState.Running;
        m.Run(100);
        Assert.Equal(CpuMode.Long64, c.Mode);
        Assert.Equal(0x10, c.Segs[Seg.CS].Selector);
        Assert.Equal(0x1122_3344_5566_7788UL, c.R[Reg.RAX]);
        Assert.Contains((CpuMode.Protected16, CpuMode.Protected32), obs.Changes);
        Assert.Contains((CpuMode.Compat32, CpuMode.Long64), obs.Changes);
    }

    [Fact]
    public void Far_call_and_retf_in_long_mode_switch_to_compatibility_mode_and_back()
    {
        using var m = EventRig.LongMode();
        var c = m.Cpu;
        // 64-bit: call far [rbx] (m16:32 → 0x08:compat), then hlt. Compat code: mov eax, 0x42; retf.
        m.Memory.Write(TestMachine.DataBase, 4, 0x20_0000 - 0x1000);
        m.Memory.Write(TestMachine.DataBase + 4, 2, 0x08);
        EventRig.Load(m, 0x20_0000 - 0x1000, 32, (a, l) => { a.mov(eax, 0x42); a.retf(); });
        var at = EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.mov(rbx, (long)TestMachine.DataBase);
            a.call(__fword_ptr[rbx]);
            a.Label(ref l[0]);
            a.hlt();
        }, 1);
        c.R[Reg.RSP] = 0x1F_0000;
        m.Run(100);
        Assert.Equal(0x42UL, c.R[Reg.RAX]);
        Assert.Equal(CpuMode.Long64, c.Mode);
        Assert.Equal(at[0] + 1, c.Rip);
        Assert.Equal(0x1F_0000UL, c.R[Reg.RSP]);
    }

    private sealed class RecordingModeObserver : CpuObserver
    {
        public readonly List<(CpuMode, CpuMode)> Changes = new();
        public override void ModeChanged(CpuCore cpu, CpuMode from, CpuMode to) => Changes.Add((from, to));
    }
}
