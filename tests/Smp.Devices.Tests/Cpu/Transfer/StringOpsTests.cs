using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Transfer;

public class StringOpsTests
{
    private const ulong Src = TestMachine.DataBase, Dst = TestMachine.DataBase + 0x1000;

    private static void Fill(TestMachine m, ulong at, int n, int seed)
    {
        for (int i = 0; i < n; i++) m.Memory.Write(at + (ulong)i, 1, (ulong)((i * 7 + seed) & 0xFF));
    }

    [Fact]
    public void Rep_movsb_forward_copies_and_advances_registers()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Fill(m, Src, 100, 3);
        m.Load(a => { a.mov(rsi, (long)Src); a.mov(rdi, (long)Dst); a.mov(rcx, 100L); a.rep.movsb(); a.hlt(); });
        m.Run();
        for (int i = 0; i < 100; i++) Assert.Equal(m.Memory.Read(Src + (ulong)i, 1), m.Memory.Read(Dst + (ulong)i, 1));
        Assert.Equal(0UL, m.Memory.Read(Dst + 100, 1));
        Assert.Equal(0UL, c.R[Reg.RCX]);
        Assert.Equal(Src + 100, c.R[Reg.RSI]);
        Assert.Equal(Dst + 100, c.R[Reg.RDI]);
    }

    [Fact]
    public void Rep_movsb_backward_with_df_copies_from_the_top_down()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Fill(m, Src, 16, 9);
        c.SetRflags(Rflags.Reserved1 | Rflags.DF);
        m.Load(a => { a.mov(rsi, (long)Src + 15); a.mov(rdi, (long)Dst + 15); a.mov(rcx, 16L); a.rep.movsb(); a.hlt(); });
        m.Run();
        for (int i = 0; i < 16; i++) Assert.Equal(m.Memory.Read(Src + (ulong)i, 1), m.Memory.Read(Dst + (ulong)i, 1));
        Assert.Equal(Src - 1, c.R[Reg.RSI]);
        Assert.Equal(Dst - 1, c.R[Reg.RDI]);
        Assert.Equal(0UL, c.R[Reg.RCX]);
    }

    [Fact]
    public void Overlapping_forward_movsb_replicates_bytes_one_at_a_time()
    {
        using var m = TestMachine.LongMode();
        m.Memory.Write(Src, 1, 0x5A);
        m.Load(a => { a.mov(rsi, (long)Src); a.mov(rdi, (long)Src + 1); a.mov(rcx, 8L); a.rep.movsb(); a.hlt(); });
        m.Run();
        for (int i = 0; i <= 8; i++) Assert.Equal(0x5AUL, m.Memory.Read(Src + (ulong)i, 1));
    }

    [Fact]
    public void Repe_cmpsb_stops_after_the_first_difference()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        for (int i = 0; i < 16; i++) { m.Memory.Write(Src + (ulong)i, 1, (ulong)i); m.Memory.Write(Dst + (ulong)i, 1, (ulong)i); }
        m.Memory.Write(Src + 5, 1, 0x10);
        m.Memory.Write(Dst + 5, 1, 0x20);
        m.Load(a => { a.mov(rsi, (long)Src); a.mov(rdi, (long)Dst); a.mov(rcx, 16L); a.repe.cmpsb(); a.hlt(); });
        m.Run();
        Assert.Equal(10UL, c.R[Reg.RCX]);
        Assert.Equal(Src + 6, c.R[Reg.RSI]);
        Assert.Equal(Dst + 6, c.R[Reg.RDI]);
        Assert.False(c.GetZF());
        Assert.True(c.GetCF());     // 0x10 - 0x20 borrows
        Assert.True(c.GetSF());
    }

    [Fact]
    public void Repne_scasb_finds_a_byte_like_strlen()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Load(Src, "hello, world\0"u8);
        m.Load(a => { a.mov(rdi, (long)Src); a.mov(rcx, -1L); a.mov(eax, 0); a.repne.scasb(); a.hlt(); });
        m.Run();
        Assert.Equal(Src + 13, c.R[Reg.RDI]);
        Assert.Equal(ulong.MaxValue - 13, c.R[Reg.RCX]);   // not(rcx) - 1 = length 12
        Assert.True(c.GetZF());
    }

    [Fact]
    public void Rep_stosq_fills_qwords()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a => { a.mov(rax, 0x0102_0304_0506_0708L); a.mov(rdi, (long)Dst); a.mov(rcx, 5L); a.rep.stosq(); a.hlt(); });
        m.Run();
        for (int i = 0; i < 5; i++) Assert.Equal(0x0102_0304_0506_0708UL, m.Memory.Read(Dst + (ulong)i * 8, 8));
        Assert.Equal(0UL, m.Memory.Read(Dst + 40, 8));
        Assert.Equal(Dst + 40, c.R[Reg.RDI]);
        Assert.Equal(0UL, c.R[Reg.RCX]);
    }

    [Fact]
    public void Long_rep_stosb_is_split_into_batches_and_completes()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a => { a.mov(eax, 0xCC); a.mov(rdi, (long)Dst); a.mov(rcx, 100_000L); a.rep.stosb(); a.hlt(); });
        m.Run();
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0UL, c.R[Reg.RCX]);
        Assert.Equal(0xCCUL, m.Memory.Read(Dst + 99_999, 1));
        Assert.Equal(0UL, m.Memory.Read(Dst + 100_000, 1));
        // One retired execution per batch of StringOps.MaxIterations, plus mov × 3 and hlt.
        Assert.True(m.Cpu.InstructionsRetired >= 4 + 100_000 / 4096);
    }

    [Theory]
    [InlineData(3)]     // unaligned: the qword that crosses each page boundary takes the one-element path
    [InlineData(0)]
    public void Rep_movsq_and_stosq_over_several_pages_move_every_element_in_batches(int misalign)
    {
        // Whole runs inside a page are moved at once when the TLB maps both pages; the result must be the
        // element-by-element one, batch yields included.
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        ulong src = TestMachine.DataBase + 0x10_000 + (ulong)misalign, dst = TestMachine.DataBase + 0x40_000 + (ulong)misalign;
        const long qwords = 10_000;                                     // 80,000 bytes: 20 pages, 3 batches
        Fill(m, src, (int)(qwords * 8), 7);
        m.Load(a =>
        {
            a.mov(rsi, (long)src); a.mov(rdi, (long)dst); a.mov(rcx, qwords); a.rep.movsq();
            a.mov(rax, 0x1122_3344_5566_7788L); a.mov(rcx, 5_000L); a.rep.stosq();
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0UL, c.R[Reg.RCX]);
        Assert.Equal(src + qwords * 8, c.R[Reg.RSI]);
        Assert.Equal(dst + qwords * 8 + 5_000 * 8, c.R[Reg.RDI]);
        for (ulong i = 0; i < qwords * 8; i += 997) Assert.Equal(m.Memory.Read(src + i, 1), m.Memory.Read(dst + i, 1));
        Assert.Equal(m.Memory.Read(src + qwords * 8 - 1, 1), m.Memory.Read(dst + qwords * 8 - 1, 1));
        for (ulong i = 0; i < 5_000; i += 123) Assert.Equal(0x1122_3344_5566_7788UL, m.Memory.Read(dst + qwords * 8 + i * 8, 8));
        Assert.Equal(0UL, m.Memory.Read(dst + qwords * 8 + 5_000 * 8, 8));
        // Five movs, the movsq retired once per batch (10,000 = 4096 + 4096 + 1808), the stosq twice (4096 + 904), hlt.
        Assert.Equal(5 + 3 + 2 + 1, c.InstructionsRetired);
    }

    [Fact]
    public void Overlapping_forward_movsq_after_a_warm_tlb_still_replicates_element_by_element()
    {
        using var m = TestMachine.LongMode();
        m.Memory.Write(Src, 8, 0x0102_0304_0506_0708UL);
        // The first movsq fills the TLB for both pages; the second, overlapping one must not become a memmove.
        m.Load(a =>
        {
            a.mov(rsi, (long)Src); a.mov(rdi, (long)Src + 0x800); a.mov(rcx, 1L); a.rep.movsq();
            a.mov(rsi, (long)Src); a.mov(rdi, (long)Src + 8); a.mov(rcx, 16L); a.rep.movsq();
            a.hlt();
        });
        m.Run();
        for (int i = 0; i <= 16; i++) Assert.Equal(0x0102_0304_0506_0708UL, m.Memory.Read(Src + (ulong)i * 8, 8));
    }

    [Fact]
    public void Rep_movs_page_fault_in_the_middle_leaves_registers_at_the_faulting_iteration_and_resumes()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.SplitLargePage(TestMachine.DataBase);
        ulong hole = TestMachine.DataBase + 0x4000;
        m.SetPagePresent(hole, false);
        ulong src = TestMachine.DataBase + 0x100, dst = hole - 0x80;
        Fill(m, src, 0x100, 1);
        m.Load(a => { a.mov(rsi, (long)src); a.mov(rdi, (long)dst); a.mov(rcx, 0x100L); a.rep.movsb(); });
        Assert.Null(Stepper.Step(m, 3));
        ulong at = c.Rip;
        var f = Stepper.Step(m);
        Assert.Equal(Vector.PF, f?.Vector);
        Assert.Equal(2u | 0u, f!.ErrorCode & 3);   // write to a not-present page
        Assert.Equal(hole, c.Cr2);
        Assert.Equal(at, c.Rip);
        Assert.Equal(0x80UL, c.R[Reg.RCX]);
        Assert.Equal(src + 0x80, c.R[Reg.RSI]);
        Assert.Equal(hole, c.R[Reg.RDI]);
        Assert.Equal(m.Memory.Read(src + 0x7F, 1), m.Memory.Read(hole - 1, 1));

        m.SetPagePresent(hole, true);
        Assert.Null(Stepper.Step(m));
        Assert.Equal(0UL, c.R[Reg.RCX]);
        Assert.Equal(hole + 0x80, c.R[Reg.RDI]);
        for (int i = 0; i < 0x100; i++) Assert.Equal(m.Memory.Read(src + (ulong)i, 1), m.Memory.Read(dst + (ulong)i, 1));
    }

    [Fact]
    public void Sixteen_bit_addressing_wraps_si_and_di_and_uses_the_segment_override()
    {
        using var m = TestMachine.RealMode();
        var c = m.Cpu;
        c.Segs[Seg.ES] = SegmentRegister.RealMode(0x2000);
        c.Segs[Seg.FS] = SegmentRegister.RealMode(0x3000);
        m.Memory.Write(0x3_FFFF, 1, 0xA1);
        m.Memory.Write(0x3_0000, 1, 0xA2);
        m.Load(a => { a.mov(si, 0xFFFF); a.mov(di, 0xFFFF); a.mov(cx, 2); a.db(0x64, 0xF3, 0xA4); /* rep movsb, FS source */ a.hlt(); });
        m.Run();
        Assert.Equal(0xA1UL, m.Memory.Read(0x2_FFFF, 1));
        Assert.Equal(0xA2UL, m.Memory.Read(0x2_0000, 1));
        Assert.Equal(1UL, c.R[Reg.RSI] & 0xFFFF);
        Assert.Equal(1UL, c.R[Reg.RDI] & 0xFFFF);
        Assert.Equal(0UL, c.R[Reg.RCX] & 0xFFFF);
    }

    [Fact]
    public void Address_size_prefix_in_long_mode_uses_and_zero_extends_esi_edi_ecx()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Fill(m, Src, 4, 5);
        c.R[Reg.RSI] = 0xFFFF_0000_0000_0000UL | Src;
        c.R[Reg.RDI] = 0xFFFF_0000_0000_0000UL | Dst;
        c.R[Reg.RCX] = 0x1_0000_0004UL;
        m.Memory.Load(TestMachine.CodeBase, [0x67, 0xF3, 0xA4, 0xF4]);  // rep movsb with 32-bit addressing; hlt
        m.Run();
        Assert.Equal(Src + 4, c.R[Reg.RSI]);
        Assert.Equal(Dst + 4, c.R[Reg.RDI]);
        Assert.Equal(0UL, c.R[Reg.RCX]);
        Assert.Equal(m.Memory.Read(Src, 4), m.Memory.Read(Dst, 4));
    }

    [Fact]
    public void Lodsw_and_stosd_without_rep_move_one_element()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        m.Memory.Write(Src, 2, 0xBEEF);
        m.Load(a => { a.mov(esi, (int)Src); a.mov(edi, (int)Dst); a.mov(eax, -1); a.lodsw(); a.stosd(); a.hlt(); });
        m.Run();
        Assert.Equal(0xFFFF_BEEFUL, c.R[Reg.RAX]);
        Assert.Equal(0xFFFF_BEEFUL, m.Memory.Read(Dst, 4));
        Assert.Equal(Src + 2, c.R[Reg.RSI]);
        Assert.Equal(Dst + 4, c.R[Reg.RDI]);
    }
}
