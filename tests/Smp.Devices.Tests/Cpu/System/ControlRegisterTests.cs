using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.SystemControl;

public class ControlRegisterTests
{
    private static (int, uint) RunMovCr0(ulong value)
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, (long)value);
            a.mov(cr0, rax);
            a.hlt();
        });
        var fault = SystemTestKit.RunToFault(m);
        Assert.Equal(0x8000_0011UL, m.Cpu.Cr0);
        return fault;
    }

    [Fact]
    public void Mov_cr0_with_PG_and_PE_clear_is_GP() => Assert.Equal((Vector.GP, 0u), RunMovCr0(0x8000_0010));

    [Fact]
    public void Mov_cr0_with_NW_without_CD_is_GP() => Assert.Equal((Vector.GP, 0u), RunMovCr0(0xA000_0011));

    [Fact]
    public void Mov_cr0_with_bits_63_to_32_set_is_GP() => Assert.Equal((Vector.GP, 0u), RunMovCr0(0x1_8000_0011));

    [Fact]
    public void Mov_cr0_forces_ET_and_ignores_reserved_low_bits()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 0xE001_0041L);       // PG | CD | NW | WP | bit 6 (reserved) | PE; ET clear
            a.mov(cr0, rax);
            a.mov(rbx, cr0);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0xE001_0011UL, m.Cpu.R[Reg.RBX]);
    }

    [Fact]
    public void Mov_to_or_from_a_control_register_at_CPL_3_is_GP()
    {
        using var m = TestMachine.LongMode();
        SystemTestKit.EnterUserMode(m.Cpu);
        m.Load(a =>
        {
            a.mov(rax, cr3);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0UL, m.Cpu.R[Reg.RAX]);
    }

    [Fact]
    public void Cr4_bits_for_features_not_reported_by_CPUID_are_GP()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 0x21L);              // PAE | VME: no virtual-8086 extensions on this CPU
            a.mov(cr4, rax);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x20UL, m.Cpu.Cr4);
    }

    [Fact]
    public void Clearing_CR4_PAE_in_IA32e_mode_is_GP_while_setting_PGE_and_TSD_works()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Assert.False(c.TryWriteCr4(0));
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae | CpuCore.Cr4Pge | CpuCore.Cr4Tsd));
        Assert.Equal(0xA4UL, c.Cr4);
    }

    [Fact]
    public void Cr3_with_bits_above_MAXPHYADDR_is_GP_in_IA32e_mode()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 1L << 45 | (long)TestMachine.PageTables);
            a.mov(cr3, rax);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(TestMachine.PageTables, m.Cpu.Cr3);
    }

    [Fact]
    public void Reloading_CR3_flushes_the_TLB_so_a_changed_PTE_takes_effect()
    {
        using var m = TestMachine.LongMode();
        // PD[2] (linear 4 MiB) -> page table at 0x9000; PTE[0] -> 0x500000 (holds 0x1111), later 0x501000 (0x2222).
        const ulong pt = 0x9_0000, la = 0x40_0000;
        m.Memory.Write(TestMachine.PageTables + 0x2000 + 2 * 8, 8, pt | 7);
        m.Memory.Write(pt, 8, 0x50_0000 | 7);
        m.Memory.Write(0x50_0000, 8, 0x1111);
        m.Memory.Write(0x50_1000, 8, 0x2222);
        m.Load(a =>
        {
            a.mov(rsi, (long)la);
            a.mov(rax, __qword_ptr[rsi]);           // fills the TLB: 0x1111
            a.mov(rdi, (long)pt);
            a.mov(rcx, 0x50_1000L | 7);
            a.mov(__qword_ptr[rdi], rcx);           // retarget the PTE
            a.mov(rbx, __qword_ptr[rsi]);           // stale translation still cached: 0x1111
            a.mov(rdx, cr3);
            a.mov(cr3, rdx);                        // flush
            a.mov(rdx, __qword_ptr[rsi]);           // new mapping: 0x2222
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x1111UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0x1111UL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(0x2222UL, m.Cpu.R[Reg.RDX]);
    }

    [Fact]
    public void Cr8_holds_the_task_priority_class_and_rejects_bits_above_3()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 9L);
            a.mov(cr8, rax);
            a.mov(rbx, cr8);
            a.mov(rax, 0x10L);
            a.mov(cr8, rax);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(9UL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(9UL, m.Cpu.Cr8);
    }

    [Fact]
    public void Debug_registers_force_fixed_bits_and_alias_DR4_DR5_when_CR4_DE_is_clear()
    {
        using var m = TestMachine.LongMode();
        var obs = new RecordingObserver();
        m.Load(a =>
        {
            a.mov(rax, 0L);
            a.mov(dr7, rax);
            a.mov(dr6, rax);
            a.mov(rbx, dr7);
            a.mov(rcx, dr6);
            a.mov(rax, 0x1234_5678_9ABCL);
            a.mov(dr0, rax);
            a.mov(rdx, dr0);
            a.mov(rax, 0x1L);
            a.mov(dr5, rax);                        // = DR7
            a.mov(rsi, dr7);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x400UL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(0xFFFF_0FF0UL, m.Cpu.R[Reg.RCX]);
        Assert.Equal(0x1234_5678_9ABCUL, m.Cpu.R[Reg.RDX]);
        Assert.Equal(0x401UL, m.Cpu.R[Reg.RSI]);
    }

    [Fact]
    public void Dr4_is_UD_when_CR4_DE_is_set()
    {
        using var m = TestMachine.LongMode();
        m.Cpu.Cr4 |= CpuCore.Cr4De;
        m.Load(a =>
        {
            a.mov(rax, dr4);
            a.hlt();
        });
        Assert.Equal((Vector.UD, 0u), SystemTestKit.RunToFault(m));
    }

    [Fact]
    public void Dr7_upper_half_set_in_64_bit_mode_is_GP()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 1L << 32);
            a.mov(dr7, rax);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x400UL, m.Cpu.Dr7);
    }

    [Fact]
    public void Mov_dr_with_DR7_GD_set_raises_DB_with_BD_and_clears_GD()
    {
        using var m = TestMachine.LongMode();
        m.Cpu.Dr7 = 0x2400;
        m.Load(a =>
        {
            a.mov(rax, dr0);
            a.hlt();
        });
        Assert.Equal((Vector.DB, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x2000UL, m.Cpu.Dr6 & 0x2000);
        Assert.Equal(0x400UL, m.Cpu.Dr7);
    }

    [Fact]
    public void Smsw_lmsw_and_clts_work_on_the_machine_status_word()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 0xEL);                        // MP | EM | TS, PE bit 0 clear: LMSW cannot clear PE
            a.lmsw(ax);
            a.smsw(rbx);
            a.clts();
            a.smsw(rcx);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x8000_001FUL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(0x8000_0017UL, m.Cpu.R[Reg.RCX]);
    }

    [Fact]
    public void Cr4_PSE_change_under_PAE_paging_reloads_PDPTEs_and_fails_on_a_bad_one()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        const ulong pdpt = 0x2_0000, pd = 0x2_1000;
        m.Memory.Write(pdpt, 8, pd | 1);
        m.Memory.Write(pd, 8, 0x83);
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae));
        Assert.True(c.TryWriteCr3(pdpt));
        Assert.True(c.TryWriteCr0(0x8000_0011));
        m.Memory.Write(pdpt + 8, 8, 0x3000 | 1 | 0x40);   // reserved bit 6
        Assert.False(c.TryWriteCr4(CpuCore.Cr4Pae | CpuCore.Cr4Pse));
        Assert.Equal(CpuCore.Cr4Pae, c.Cr4);
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae | CpuCore.Cr4Tsd)); // not a paging bit: no reload
        m.Memory.Write(pdpt + 8, 8, 0);
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae | CpuCore.Cr4Pse));
    }
}
