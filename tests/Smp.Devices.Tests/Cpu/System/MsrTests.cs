using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.SystemControl;

public class MsrTests
{
    private static void Wrmsr(Assembler a, uint msr, ulong value)
    {
        a.mov(ecx, msr);
        a.mov(eax, (uint)value);
        a.mov(edx, (uint)(value >> 32));
        a.wrmsr();
    }

    [Fact]
    public void Efer_LMA_is_read_only_and_writes_are_observed()
    {
        using var m = TestMachine.LongMode();
        var obs = new RecordingObserver();
        m.Cpu.Observer = obs;
        m.Load(a =>
        {
            Wrmsr(a, Msr.Efer, 0x901);                // SCE | LME | NXE, LMA written as 0
            a.mov(ecx, Msr.Efer);
            a.rdmsr();
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0xD01UL, m.Cpu.R[Reg.RAX]);      // LMA kept
        Assert.Equal(0UL, m.Cpu.R[Reg.RDX]);
        Assert.Equal([(Msr.Efer, 0x901UL)], obs.Msrs);
    }

    [Fact]
    public void Changing_EFER_LME_while_paging_is_on_is_GP()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { Wrmsr(a, Msr.Efer, 0); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x500UL, m.Cpu.Efer);
    }

    [Fact]
    public void Unknown_MSR_is_GP_for_read_and_write()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(ecx, 0x1234u);
            a.rdmsr();
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.False(m.Cpu.TryWriteMsr(0x1234, 0));
        Assert.False(m.Cpu.TryWriteMsr(Msr.MtrrCap, 0));   // read-only
    }

    [Fact]
    public void Rdmsr_at_CPL_3_is_GP()
    {
        using var m = TestMachine.LongMode();
        SystemTestKit.EnterUserMode(m.Cpu);
        m.Load(a => { a.mov(ecx, Msr.Efer); a.rdmsr(); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
    }

    [Fact]
    public void Gs_base_written_by_wrmsr_is_used_by_gs_prefixed_loads()
    {
        using var m = TestMachine.LongMode();
        ulong d = TestMachine.DataBase;
        m.Memory.Write(d + 0x108, 8, 0xCAFE_F00D);
        m.Memory.Write(d + 0x208, 8, 0xBEEF);
        m.Load(a =>
        {
            Wrmsr(a, Msr.GsBase, d + 0x100);
            Wrmsr(a, Msr.FsBase, d + 0x200);
            a.mov(edi, 0u);
            a.mov(rax, __qword_ptr.gs[rdi + 8]);
            a.mov(rbx, __qword_ptr.fs[rdi + 8]);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0xCAFE_F00DUL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0xBEEFUL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(d + 0x100, m.Cpu.Segs[Seg.GS].Base);
    }

    [Fact]
    public void Non_canonical_address_MSR_write_is_GP()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { Wrmsr(a, Msr.Lstar, 0x0000_8000_0000_0000); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0UL, m.Cpu.Lstar);
        Assert.False(m.Cpu.TryWriteMsr(Msr.GsBase, 0x0001_0000_0000_0000));
        Assert.False(m.Cpu.TryWriteMsr(Msr.KernelGsBase, 0x8000_0000_0000_0000));
        Assert.True(m.Cpu.TryWriteMsr(Msr.KernelGsBase, 0xFFFF_8000_0000_0000));
    }

    [Fact]
    public void Swapgs_exchanges_GS_base_with_kernel_GS_base_and_twice_restores_it()
    {
        using var m = TestMachine.LongMode();
        var obs = new RecordingObserver();
        m.Cpu.Observer = obs;
        ulong d = TestMachine.DataBase;
        m.Memory.Write(d, 8, 0x1111);
        m.Memory.Write(d + 0x1000, 8, 0x2222);
        m.Load(a =>
        {
            Wrmsr(a, Msr.GsBase, d);
            Wrmsr(a, Msr.KernelGsBase, d + 0x1000);
            a.mov(edi, 0u);
            a.swapgs();
            a.mov(rbx, __qword_ptr.gs[rdi]);
            a.swapgs();
            a.mov(rsi, __qword_ptr.gs[rdi]);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x2222UL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(0x1111UL, m.Cpu.R[Reg.RSI]);
        Assert.Equal(d, m.Cpu.Segs[Seg.GS].Base);
        Assert.Equal(d + 0x1000, m.Cpu.KernelGsBase);
        Assert.Equal([d + 0x1000, d], obs.SwapGsBases);
    }

    [Fact]
    public void Swapgs_outside_64_bit_mode_is_UD_and_at_CPL_3_is_GP()
    {
        using var m = TestMachine.LongMode();
        m.Cpu.Segs[Seg.CS] = new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, Attributes = 0xC09B };
        m.Cpu.UpdateMode();
        m.Load(TestMachine.CodeBase, a => a.db(0x0F, 0x01, 0xF8)); // SWAPGS bytes in 32-bit code
        Assert.Equal((Vector.UD, 0u), SystemTestKit.RunToFault(m));

        using var u = TestMachine.LongMode();
        SystemTestKit.EnterUserMode(u.Cpu);
        u.Load(a => a.swapgs());
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(u));
    }

    [Fact]
    public void Apic_base_BSP_bit_is_read_only_and_reset_value_is_FEE00000_enabled()
    {
        using var mem = new PhysicalMemory(1 << 20);
        var bsp = new CpuCore(mem, apicId: 0, isBsp: true);
        var ap = new CpuCore(mem, apicId: 1, isBsp: false);
        Assert.True(bsp.TryReadMsr(Msr.ApicBase, out ulong b));
        Assert.True(ap.TryReadMsr(Msr.ApicBase, out ulong a));
        Assert.Equal(0xFEE0_0900UL, b);
        Assert.Equal(0xFEE0_0800UL, a);
        Assert.Equal(0xFEE0_0000UL, bsp.ApicWindow);
        Assert.True(bsp.TryWriteMsr(Msr.ApicBase, 0xFEC0_0800));   // BSP bit written as 0, base moved
        Assert.True(ap.TryWriteMsr(Msr.ApicBase, 0xFEE0_0900));    // BSP bit written as 1
        Assert.Equal(0xFEC0_0900UL, bsp.ApicBaseMsr);
        Assert.Equal(0xFEE0_0800UL, ap.ApicBaseMsr);
        Assert.Equal(0xFEC0_0000UL, bsp.ApicWindow);
    }

    [Fact]
    public void Apic_base_mode_transitions_follow_the_SDM_and_move_the_xAPIC_window()
    {
        using var mem = new PhysicalMemory(1 << 20);
        var c = new CpuCore(mem, isBsp: false);
        var apic = new FakeApic();
        c.LocalApicRegisters = apic;
        Assert.False(c.TryWriteMsr(Msr.ApicBase, 0xFEE0_0400));    // EXTD without EN
        Assert.False(c.TryWriteMsr(Msr.ApicBase, 0xFEE0_0801));    // reserved bit 0
        Assert.False(c.TryReadMsr(0x802, out _));                  // x2APIC MSRs need x2APIC mode
        Assert.True(c.TryWriteMsr(Msr.ApicBase, 0xFEE0_0C00));     // xAPIC -> x2APIC
        Assert.Equal(ulong.MaxValue, c.ApicWindow);
        Assert.True(c.X2ApicMode);
        Assert.True(c.TryReadMsr(0x802, out ulong id));
        Assert.Equal(0x802UL * 3, id);
        Assert.True(c.TryWriteMsr(0x80B, 0));
        Assert.False(c.TryWriteMsr(0x80B, 1));                     // the fake rejects non-zero EOI
        Assert.Equal([(0x80BU, 0UL)], apic.Writes);
        Assert.False(c.TryWriteMsr(Msr.ApicBase, 0xFEE0_0800));    // x2APIC -> xAPIC is illegal
        Assert.True(c.TryWriteMsr(Msr.ApicBase, 0xFEE0_0000));     // -> disabled
        Assert.Equal(ulong.MaxValue, c.ApicWindow);
        Assert.False(c.TryWriteMsr(Msr.ApicBase, 0xFEE0_0C00));    // disabled -> x2APIC is illegal
        Assert.True(c.TryWriteMsr(Msr.ApicBase, 0xFEE0_0800));
        Assert.Equal(0xFEE0_0000UL, c.ApicWindow);
        Assert.Equal([0xFEE0_0C00UL, 0xFEE0_0000UL, 0xFEE0_0800UL], apic.BaseChanges);
    }

    [Fact]
    public void Tsc_write_sets_the_counter_which_then_advances_with_retired_instructions()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            Wrmsr(a, Msr.Tsc, 0x1_0000_0000);     // 4 instructions, the WRMSR is the 4th
            a.rdtsc();                            // 1 instruction later
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(1UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(1UL, m.Cpu.R[Reg.RDX]);
    }

    [Fact]
    public void Pat_and_mtrr_writes_validate_memory_types()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Assert.True(c.TryReadMsr(Msr.Pat, out ulong pat));
        Assert.Equal(0x0007_0406_0007_0406UL, pat);
        Assert.False(c.TryWriteMsr(Msr.Pat, 0x0007_0406_0007_0402));  // type 2 is reserved
        Assert.True(c.TryWriteMsr(Msr.Pat, 0x0007_0106_0007_0406));
        Assert.True(c.TryReadMsr(Msr.MtrrCap, out ulong cap));
        Assert.Equal(0x50AUL, cap);                                   // ten variable ranges, fixed ranges, WC
        Assert.True(c.TryWriteMsr(Msr.MtrrDefType, 0xC06));
        Assert.False(c.TryWriteMsr(Msr.MtrrDefType, 0x1006));
        Assert.True(c.TryWriteMsr(Msr.MtrrPhysBase0 + 1, 0x7F_C000_0800));
        Assert.True(c.TryReadMsr(Msr.MtrrPhysBase0 + 1, out ulong mask));
        Assert.Equal(0x7F_C000_0800UL, mask);
        Assert.False(c.TryWriteMsr(Msr.MtrrPhysBase0 + 1, 0xFF_C000_0800));   // bit 39 is beyond MAXPHYADDR
        Assert.False(c.TryWriteMsr(Msr.MtrrPhysBase0, 0x7));            // type 7 is not an MTRR type
    }

    [Fact]
    public void Cr8_reads_and_writes_the_attached_APIC_task_priority()
    {
        using var m = TestMachine.LongMode();
        var apic = new FakeApic { Cr8 = 0xC };
        m.Cpu.LocalApicRegisters = apic;
        m.Load(a =>
        {
            a.mov(rbx, cr8);
            a.mov(rax, 3L);
            a.mov(cr8, rax);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0xCUL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(3UL, apic.Cr8);
    }

    [Fact]
    public void Rdmsr_reads_reset_values_of_informational_MSRs()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Assert.True(c.TryReadMsr(Msr.BiosSignId, out ulong sign));
        Assert.Equal((ulong)CpuCore.MicrocodeRevision << 32, sign);
        Assert.True(c.TryReadMsr(Msr.PlatformId, out ulong platform));
        Assert.Equal(0UL, platform);
        Assert.True(c.TryReadMsr(Msr.McgCap, out ulong mcg));
        Assert.Equal(0x408UL, mcg);                                        // eight banks, CMCI
        Assert.True(c.TryReadMsr(Msr.MiscEnable, out ulong misc));
        Assert.Equal(0x1801UL, misc);
        Assert.False(c.TryWriteMsr(Msr.McgStatus, 1));
        Assert.False(c.TryWriteMsr(Msr.TscAux, 1UL << 32));
    }

    private sealed class FakeApic : ILocalApicRegisters
    {
        public readonly List<(uint, ulong)> Writes = new();
        public readonly List<ulong> BaseChanges = new();
        public ulong Cr8 { get; set; }
        public ulong TscDeadline { get; set; }
        public bool TryReadX2ApicMsr(uint msr, out ulong value) { value = msr * 3UL; return true; }
        public bool TryWriteX2ApicMsr(uint msr, ulong value)
        {
            if (msr == 0x80B && value != 0) return false;
            Writes.Add((msr, value));
            return true;
        }
        public void ApicBaseChanged(ulong apicBase) => BaseChanges.Add(apicBase);
    }
}
