using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu.SystemControl;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Paging;

/// <summary>SMEP, SMAP (SDM Vol. 3A §4.6.1), 1-GiB pages and MAXPHYADDR = 39 in 4-level paging.</summary>
public class SupervisorProtectionTests
{
    // TestMachine's identity map has U/S = 1 everywhere: every page is a user-mode page.
    private const ulong UserData = TestMachine.DataBase;
    private const ulong Pd = TestMachine.PageTables + 0x2000;

    [Fact]
    public void Smep_faults_a_supervisor_fetch_from_a_user_page_with_the_fetch_bit_in_the_error_code()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a => { a.nop(); a.hlt(); });
        Assert.True(c.TryWriteCr4(c.Cr4 | CpuCore.Cr4Smep));
        // P (1) | I/D (0x10): a protection violation by an instruction fetch at CPL 0.
        Assert.Equal((Vector.PF, 0x11u), SystemTestKit.RunToFault(m));
        Assert.Equal(TestMachine.CodeBase, c.Cr2);
    }

    [Fact]
    public void Smep_lets_user_code_run_at_cpl_3()
    {
        using var m = TestMachine.LongMode();
        Assert.True(m.Cpu.TryWriteCr4(m.Cpu.Cr4 | CpuCore.Cr4Smep));
        m.Load(a => { a.mov(eax, 7); a.hlt(); });
        SystemTestKit.EnterUserMode(m.Cpu);
        m.Cpu.FirstFault = null;
        m.Run(1);
        Assert.Null(m.Cpu.FirstFault);
        Assert.Equal(7UL, m.Cpu.R[Reg.RAX]);
    }

    [Fact]
    public void Smap_faults_a_supervisor_data_access_to_a_user_page_unless_ac_is_set_and_never_caches_it()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(UserData, 8, 0x5555);
        // Code runs from a supervisor page: make the code's 2 MiB page supervisor-only.
        m.Memory.Write(Pd + (TestMachine.CodeBase >> 21) * 8, 8, (TestMachine.CodeBase & ~0x1F_FFFFUL) | 0x83);
        Assert.True(c.TryWriteCr4(c.Cr4 | CpuCore.Cr4Smap));
        m.Load(a =>
        {
            a.mov(rsi, (long)UserData);
            a.stac();
            a.mov(rax, __qword_ptr[rsi]);            // allowed: AC = 1
            a.clac();
            a.mov(rbx, __qword_ptr[rsi]);            // the same page again with AC = 0: #PF
            a.hlt();
        });
        var fault = SystemTestKit.RunToFault(m);
        Assert.Equal(0x5555UL, c.R[Reg.RAX]);
        Assert.Equal((Vector.PF, 1u), fault);      // present, read, supervisor
        Assert.Equal(UserData, c.Cr2);
    }

    [Fact]
    public void Smap_applies_to_implicit_supervisor_accesses_even_with_ac_set()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Assert.True(c.TryWriteCr4(c.Cr4 | CpuCore.Cr4Smap));
        c.SetRflags(c.GetRflags() | Rflags.AC);
        // A descriptor-table read is an implicit supervisor access: the GDT sits in a user page here.
        var f = SystemTestKit.Fault(() => c.ReadLinear(TestMachine.GdtBase, 8, AccessKind.System));
        Assert.Equal(Vector.PF, f.Vector);
    }

    [Fact]
    public void A_one_gigabyte_page_maps_its_whole_range_and_reserves_bits_29_to_13()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        ulong pdpt = TestMachine.PageTables + 0x1000;
        m.Memory.Write(pdpt + 1 * 8, 8, 0x0000_0000UL | 0x83);            // linear 1 GiB → physical 0, 1 GiB page
        Assert.Equal(0x12_3456UL, c.Translate(0x4012_3456, AccessKind.Read));
        Assert.Equal(0xA3UL, m.Memory.Read(pdpt + 8, 8));                  // accessed set on the PDPTE leaf
        m.Memory.Write(pdpt + 2 * 8, 8, 0x0000_2000UL | 0x83);            // bit 13 set: reserved in a 1 GiB PDPTE
        var f = SystemTestKit.Fault(() => c.Translate(0x8000_0000, AccessKind.Read));
        Assert.Equal((Vector.PF, 9u), f);
    }

    [Fact]
    public void Invlpg_drops_every_cached_piece_of_a_one_gigabyte_page()
    {
        using var m = TestMachine.LongMode();
        ulong pdpt = TestMachine.PageTables + 0x1000;
        m.Memory.Write(pdpt + 1 * 8, 8, 0x83);                       // 1 GiB page: linear 1 GiB → physical 0
        m.Memory.Write(0x30_0000, 8, 0xAAAA);
        m.Load(a =>
        {
            a.mov(rsi, 0x4030_0000L);
            a.mov(rax, __qword_ptr[rsi]);            // caches the 4K piece at 1 GiB + 3 MiB
            a.mov(rdi, (long)(pdpt + 8));
            a.mov(__qword_ptr[rdi], 0);              // unmap the whole 1 GiB page
            a.mov(rdx, 0x4000_0000L);
            a.invlpg(__[rdx]);                       // INVLPG of another 4K piece of it
            a.mov(rbx, __qword_ptr[rsi]);            // must walk again and fault
            a.hlt();
        });
        var fault = SystemTestKit.RunToFault(m);
        Assert.Equal(0xAAAAUL, m.Cpu.R[Reg.RAX]);
        Assert.Equal((Vector.PF, 0u), fault);
        Assert.Equal(0x4030_0000UL, m.Cpu.Cr2);
    }

    [Fact]
    public void Bit_39_of_a_page_table_entry_is_reserved_at_maxphyaddr_39()
    {
        using var m = TestMachine.LongMode();
        m.Memory.Write(Pd + 10 * 8, 8, (1UL << 39) | 0x83);
        Assert.Equal((Vector.PF, 9u), SystemTestKit.Fault(() => m.Cpu.Translate(10UL << 21, AccessKind.Read)));
        Assert.Equal(39, CpuCore.MaxPhysAddrBits);
    }
}
