using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu.SystemControl;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Paging;

public class PagingTests
{
    private const ulong Pd32 = 0x1_0000, Pt32 = 0x1_1000;

    // 32-bit paging (CR4.PAE = 0) with a page directory at Pd32, optionally CR4.PSE.
    private static TestMachine Paging32(bool pse = false)
    {
        var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.Cr4 = pse ? CpuCore.Cr4Pse : 0;
        Assert.True(c.TryWriteCr3(Pd32));
        Assert.True(c.TryWriteCr0(0x8000_0011));
        return m;
    }

    private static (int Vector, uint Error) Fault(TestMachine m, ulong la, AccessKind kind)
    {
        var f = SystemTestKit.Fault(() => m.Cpu.Translate(la, kind));
        Assert.Equal(la, m.Cpu.Cr2);
        return f;
    }

    [Fact]
    public void Paging32_4K_page_translates_and_sets_accessed_then_dirty_on_the_leaf()
    {
        using var m = Paging32();
        m.Memory.Write(Pd32 + 1 * 4, 4, Pt32 | 7);
        m.Memory.Write(Pt32 + 5 * 4, 4, 0x12_3000 | 7);
        Assert.Equal(0x12_3ABCUL, m.Cpu.Translate(0x40_5ABC, AccessKind.Read));
        Assert.Equal(Pt32 | 0x27, m.Memory.Read(Pd32 + 4, 4));
        Assert.Equal(0x12_3027UL, m.Memory.Read(Pt32 + 5 * 4, 4));
        Assert.Equal(0x12_3ABCUL, m.Cpu.Translate(0x40_5ABC, AccessKind.Write));
        Assert.Equal(Pt32 | 0x27, m.Memory.Read(Pd32 + 4, 4));       // no dirty bit in a PDE that maps a table
        Assert.Equal(0x12_3067UL, m.Memory.Read(Pt32 + 5 * 4, 4));
    }

    [Fact]
    public void Paging32_4M_page_with_PSE_and_PSE36_high_address_bits()
    {
        using var m = Paging32(pse: true);
        m.Memory.Write(Pd32 + 2 * 4, 4, 0xC0_0000 | 0x83);
        m.Memory.Write(Pd32 + 3 * 4, 4, 0x40_0000 | (1 << 13) | 0x83);   // PA bit 32 via PDE bit 13
        Assert.Equal(0xC1_2345UL, m.Cpu.Translate(0x81_2345, AccessKind.Write));
        Assert.Equal(0xC0_00E3UL, m.Memory.Read(Pd32 + 2 * 4, 4));       // A and D on the 4 MiB PDE
        Assert.Equal(0x1_0040_0010UL, m.Cpu.Translate(0xC0_0010, AccessKind.Read));
        m.Memory.Write(Pd32 + 4 * 4, 4, 0x40_0000 | (1 << 21) | 0x83);   // bit 21 reserved
        Assert.Equal((Vector.PF, 9u), Fault(m, 0x100_0000, AccessKind.Read));
    }

    [Fact]
    public void Paging32_without_CR4_PSE_treats_PS_as_a_table_pointer()
    {
        using var m = Paging32(pse: false);
        m.Memory.Write(Pd32 + 2 * 4, 4, 0x20_0000 | 0x83);   // "table" at 2 MiB holds zeros
        Assert.Equal((Vector.PF, 0u), Fault(m, 0x81_2345, AccessKind.Read));
        m.Memory.Write(0x20_0000 + 0x12 * 4, 4, 0x33_3000 | 3);
        Assert.Equal(0x33_3345UL, m.Cpu.Translate(0x81_2345, AccessKind.Read));
    }

    [Fact]
    public void Pae_paging_uses_PDPTEs_loaded_with_CR3_for_4K_and_2M_pages()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        const ulong pdpt = 0x2_0020, pd = 0x2_1000, pt = 0x2_2000;
        m.Memory.Write(pdpt + 1 * 8, 8, pd | 1);              // PDPTE[1]: 1–2 GiB
        m.Memory.Write(pd + 0 * 8, 8, pt | 7);
        m.Memory.Write(pd + 1 * 8, 8, 0x60_0000 | 0x87);      // 2 MiB page
        m.Memory.Write(pt + 3 * 8, 8, 0x45_6000 | 7);
        m.Memory.Write(pdpt, 8, 0x2_3000 | 1);                // PDPTE[0] -> identity 2 MiB page for the code
        m.Memory.Write(0x2_3000, 8, 0x83);
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae));
        Assert.True(c.TryWriteCr3(pdpt));
        Assert.True(c.TryWriteCr0(0x8000_0011));
        Assert.Equal(0x45_6123UL, c.Translate(0x4000_3123, AccessKind.Read));
        Assert.Equal(0x61_2345UL, c.Translate(0x4021_2345, AccessKind.Write));
        Assert.Equal(0x60_00E7UL, m.Memory.Read(pd + 8, 8));
        // PDPTE[2] not present; the PDPTE registers are only reloaded by MOV to CR3.
        Assert.Equal((Vector.PF, 0u), Fault(m, 0x8000_0000, AccessKind.Read));
        m.Memory.Write(pdpt + 2 * 8, 8, pd | 1);
        Assert.Equal((Vector.PF, 2u), Fault(m, 0x8000_0000, AccessKind.Write));
        Assert.True(c.TryWriteCr3(pdpt));
        Assert.Equal(0x45_6000UL, c.Translate(0x8000_3000, AccessKind.Read));
        // A PDPTE with a reserved bit makes MOV to CR3 #GP and keeps the old PDPTEs.
        m.Memory.Write(pdpt + 3 * 8, 8, pd | 1 | 0x100);
        Assert.False(c.TryWriteCr3(pdpt));
        Assert.Equal(0x45_6000UL, c.Translate(0x8000_3000, AccessKind.Read));
    }

    [Fact]
    public void Pae_paging_reserves_bits_62_to_52_unlike_4_level_paging()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        const ulong pdpt = 0x2_0000, pd = 0x2_1000;
        m.Memory.Write(pdpt, 8, pd | 1);
        m.Memory.Write(pd + 8, 8, 0x20_0000 | 0x83 | (1UL << 55));
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae));
        Assert.True(c.TryWriteCr3(pdpt));
        Assert.True(c.TryWriteCr0(0x8000_0011));   // entering PAE paging loads the PDPTEs
        Assert.Equal((Vector.PF, 9u), Fault(m, 0x20_0000, AccessKind.Read));
    }

    [Fact]
    public void Four_level_paging_sets_accessed_bits_at_every_level_and_dirty_only_on_the_leaf()
    {
        using var m = TestMachine.LongMode();
        ulong pml4 = TestMachine.PageTables, pdpt = pml4 + 0x1000, pd = pml4 + 0x2000, pt = 0x9_0000;
        m.Memory.Write(pd + 2 * 8, 8, pt | 7);
        m.Memory.Write(pt + 1 * 8, 8, 0x70_0000 | 7);
        Assert.Equal(0x70_0ABCUL, m.Cpu.Translate(0x40_1ABC, AccessKind.Write));
        Assert.Equal(pdpt | 0x27, m.Memory.Read(pml4, 8));
        Assert.Equal(pd | 0x27, m.Memory.Read(pdpt, 8));
        Assert.Equal(pt | 0x27, m.Memory.Read(pd + 2 * 8, 8));
        Assert.Equal(0x70_0067UL, m.Memory.Read(pt + 8, 8));
        // 2 MiB page: read sets only A.
        Assert.Equal(0x61_2345UL, m.Cpu.Translate(0x61_2345, AccessKind.Read));
        Assert.Equal(0x60_00A7UL, m.Memory.Read(pd + 3 * 8, 8));
    }

    [Fact]
    public void Page_fault_error_codes_follow_the_access_and_CR2_holds_the_address()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        ulong pd = TestMachine.PageTables + 0x2000, pt = 0x9_0000;
        m.Memory.Write(pd + 2 * 8, 8, pt | 7);
        m.Memory.Write(pt + 0 * 8, 8, 0x70_0000 | 5);               // user, read-only
        m.Memory.Write(pt + 1 * 8, 8, 0x70_1000 | 3);               // supervisor, writable
        m.Memory.Write(pt + 2 * 8, 8, 0x70_2000 | 7 | (1UL << 51)); // reserved bit 51
        m.Memory.Write(pt + 3 * 8, 8, 0x70_3000 | 7 | (1UL << 63)); // execute-disable

        Assert.Equal((Vector.PF, 0u), Fault(m, 0x500_0000, AccessKind.Read));     // not present
        Assert.Equal((Vector.PF, 2u), Fault(m, 0x500_0008, AccessKind.Write));
        Assert.Equal((Vector.PF, 9u), Fault(m, 0x40_2000, AccessKind.Read));      // RSVD | P
        Assert.Equal((Vector.PF, 0xBu), Fault(m, 0x40_2010, AccessKind.Write));
        Assert.Equal((Vector.PF, 9u), Fault(m, 0x40_3000, AccessKind.Read));      // XD is reserved while EFER.NXE = 0
        c.Efer |= Msr.EferNxe;
        Assert.Equal((Vector.PF, 0x11u), Fault(m, 0x40_3004, AccessKind.Execute)); // I/D | P
        Assert.Equal(0x70_3004UL, c.Translate(0x40_3004, AccessKind.Read));

        c.Cpl = 3;
        c.UpdateMode();
        Assert.Equal((Vector.PF, 7u), Fault(m, 0x40_0100, AccessKind.Write));     // U | W | P
        Assert.Equal((Vector.PF, 5u), Fault(m, 0x40_1100, AccessKind.Read));      // U | P: supervisor page
        Assert.Equal((Vector.PF, 6u), Fault(m, 0x500_0000, AccessKind.Write));    // U | W, not present
        Assert.Equal(0x70_0100UL, c.Translate(0x40_0100, AccessKind.Read));
    }

    [Fact]
    public void Cr0_WP_clear_lets_CPL_0_write_a_read_only_page_and_WP_set_does_not()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        ulong pd = TestMachine.PageTables + 0x2000, pt = 0x9_0000;
        m.Memory.Write(pd + 2 * 8, 8, pt | 7);
        m.Memory.Write(pt, 8, 0x70_0000 | 5);
        m.Load(a =>
        {
            a.mov(rsi, 0x40_0000L);
            a.mov(rax, 0x1234L);
            a.mov(__qword_ptr[rsi], rax);     // WP = 0: allowed, fills the write TLB
            a.mov(rax, 0x8001_0011L);
            a.mov(cr0, rax);                  // WP = 1 flushes the TLB
            a.mov(__qword_ptr[rsi + 8], rax);
            a.hlt();
        });
        Assert.Equal((Vector.PF, 3u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x40_0008UL, c.Cr2);
        Assert.Equal(0x1234UL, m.Memory.Read(0x70_0000, 8));
        Assert.Equal(0UL, m.Memory.Read(0x70_0008, 8));
    }

    [Fact]
    public void Guest_load_from_an_unmapped_address_raises_PF_with_CR2()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rbx, 0x500_0000L);
            a.mov(rax, __qword_ptr[rbx + 0x18]);
            a.hlt();
        });
        Assert.Equal((Vector.PF, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x500_0018UL, m.Cpu.Cr2);
    }

    [Fact]
    public void Translation_cached_at_CPL_0_is_not_reused_for_a_CPL_3_access_to_a_supervisor_page()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        ulong pd = TestMachine.PageTables + 0x2000;
        m.Memory.Write(pd + 3 * 8, 8, 0x60_0000 | 0x83);   // supervisor 2 MiB page
        m.Memory.Write(0x60_0000, 8, 0x99);
        Assert.Equal(0x99UL, c.Read64(0x60_0000));
        c.Cpl = 3;
        c.UpdateMode();
        Assert.Equal((Vector.PF, 5u), SystemTestKit.Fault(() => c.Read64(0x60_0000)));
    }

    [Fact]
    public void Invlpg_drops_a_stale_4K_translation()
    {
        using var m = TestMachine.LongMode();
        const ulong pt = 0x9_0000;
        m.Memory.Write(TestMachine.PageTables + 0x2000 + 2 * 8, 8, pt | 7);
        m.Memory.Write(pt, 8, 0x50_0000 | 7);
        m.Memory.Write(0x50_0000, 8, 0x1111);
        m.Memory.Write(0x50_1000, 8, 0x2222);
        m.Load(a =>
        {
            a.mov(rsi, 0x40_0000L);
            a.mov(rax, __qword_ptr[rsi]);
            a.mov(rdi, (long)pt);
            a.mov(rcx, 0x50_1000L | 7);
            a.mov(__qword_ptr[rdi], rcx);
            a.mov(rbx, __qword_ptr[rsi]);            // stale
            a.invlpg(__[rsi]);
            a.mov(rdx, __qword_ptr[rsi]);            // fresh
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x1111UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0x1111UL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(0x2222UL, m.Cpu.R[Reg.RDX]);
    }

    [Fact]
    public void Invlpg_of_one_address_drops_every_cached_piece_of_a_2M_page()
    {
        using var m = TestMachine.LongMode();
        ulong pde = TestMachine.PageTables + 0x2000 + 3 * 8;   // linear 6 MiB, identity
        m.Memory.Write(0x60_5000, 8, 0xAAAA);
        m.Memory.Write(0xA0_5000, 8, 0xBBBB);
        m.Load(a =>
        {
            a.mov(rsi, 0x60_0000L);
            a.mov(rax, __qword_ptr[rsi + 0x5000]);   // caches the 4K piece at +0x5000
            a.mov(rdi, (long)pde);
            a.mov(rcx, 0xA0_0000L | 0x87);
            a.mov(__qword_ptr[rdi], rcx);            // remap the 2 MiB page to 10 MiB
            a.invlpg(__[rsi]);                       // a different 4K piece of the same large page
            a.mov(rbx, __qword_ptr[rsi + 0x5000]);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0xAAAAUL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0xBBBBUL, m.Cpu.R[Reg.RBX]);
    }

    [Fact]
    public void Invlpg_at_CPL_3_is_GP()
    {
        using var m = TestMachine.LongMode();
        SystemTestKit.EnterUserMode(m.Cpu);
        m.Load(a => { a.mov(rsi, 0x40_0000L); a.invlpg(__[rsi]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
    }
}
