using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu;

/// <summary>
/// An instruction whose bytes continue on the next page is decoded once and reused like any block, yet every fetch
/// still sees what the hardware would: stores into either part (SDM Vol. 3A §8.1.3), a new mapping of the second page
/// after INVLPG, and a #PF with CR2 in the second page when that page is not present (Vol. 3A §4.7).
/// </summary>
public sealed class StraddlingInstructionTests
{
    // The page boundary the instructions cross, and the first byte of each: B8 imm32 puts its opcode and the
    // immediate's low byte before the boundary and three bytes after it.
    private const ulong Boundary = TestMachine.CodeBase + 0x1000, Straddler = Boundary - 2, Results = TestMachine.DataBase;

    [Fact]
    public void A_hot_loop_around_an_instruction_straddling_two_pages_decodes_it_once()
    {
        using var m = TestMachine.LongMode();
        JumpToLoopAtStraddler(m, 20_000);
        m.Load(Straddler, a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.mov(eax, 0x0102_0304);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        long before = m.Cpu.BlocksDecoded;
        m.Run(1_000_000);

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(unchecked((uint)(20_000 * 0x0102_0304L)), (uint)m.Cpu.R[Reg.RBX]);
        Assert.True(m.Cpu.BlocksDecoded - before < 20, $"{m.Cpu.BlocksDecoded - before} blocks decoded for 20,000 passes");
    }

    [Theory]
    [InlineData(1, 0x01)]        // the immediate's byte before the boundary
    [InlineData(2, 0x0100)]      // its first byte after the boundary
    public void A_loop_that_patches_either_part_of_a_straddling_instruction_runs_each_new_version(int patchedOffset, uint step)
    {
        using var m = TestMachine.LongMode();
        JumpToLoopAtStraddler(m, 200);
        m.Load(Straddler, a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.mov(eax, 1);
            a.add(ebx, eax);
            a.add(__byte_ptr[(long)(Straddler + (ulong)patchedOffset)], 1);  // the next pass's immediate grows by `step`
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        m.Run(1_000_000);

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(200u + step * (199u * 200 / 2), (uint)m.Cpu.R[Reg.RBX]);
    }

    [Fact]
    public void A_straddling_instruction_runs_the_bytes_of_its_second_page_as_newly_mapped_after_invlpg()
    {
        using var m = TestMachine.LongMode();
        m.SplitLargePage(Boundary);
        const ulong otherFrame = TestMachine.DataBase + 0x2000;
        ulong pte = TestMachine.PageTables + 0x3000 + (Boundary >> 21) * 0x1000 + ((Boundary >> 12) & 511) * 8;
        m.Load(Straddler, a => { a.mov(eax, 0x1122_3344); a.ret(); });   // B8 44 | 33 22 11 C3
        m.Memory.Load(otherFrame, [0x77, 0x66, 0x55, 0xC3]);             // the same tail, other bytes
        m.Load(TestMachine.CodeBase, a =>
        {
            a.mov(rsi, (long)Results);
            for (int pass = 0; pass < 3; pass++)
            {
                a.call(Straddler);
                a.mov(__dword_ptr[rsi + pass * 4], eax);
            }

            a.mov(rax, (long)(otherFrame | 3));
            a.mov(__qword_ptr[(long)pte], rax);
            a.invlpg(__byte_ptr[(long)Boundary]);
            a.call(Straddler);
            a.mov(__dword_ptr[rsi + 12], eax);
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal([0x1122_3344u, 0x1122_3344u, 0x1122_3344u, 0x5566_7744u],
            Enumerable.Range(0, 4).Select(i => (uint)m.Memory.Read(Results + (ulong)i * 4, 4)));
    }

    [Fact]
    public void A_straddling_instruction_whose_second_page_is_unmapped_raises_a_page_fault_for_the_second_page()
    {
        using var m = TestMachine.LongMode();
        m.SplitLargePage(Boundary);
        JitTests.FaultRecorder(m);
        m.Load(Straddler, a => { a.mov(eax, 0x1122_3344); a.ret(); });
        m.Load(TestMachine.CodeBase, a =>
        {
            a.mov(rsi, (long)Results);
            a.call(Straddler);                              // decoded and cached while both pages are present
            a.mov(__dword_ptr[rsi], eax);
            a.mov(rdx, (long)Boundary);
            a.mov(rcx, TestMachine.PageTables + 0x3000 + (long)(Boundary >> 21) * 0x1000 + (long)((Boundary >> 12) & 511) * 8);
            a.and(__qword_ptr[rcx], ~1);                    // not present
            a.invlpg(__byte_ptr[rdx]);
            a.call(Straddler);
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(0x1122_3344UL, m.Memory.Read(Results, 4));
        Assert.Equal(Boundary, m.Memory.Read(JitTests.Record, 8));             // CR2: the second page
        Assert.Equal(0UL, m.Memory.Read(JitTests.Record + 8, 8) & 1);         // P = 0: the page is not present (I/D needs EFER.NXE)
        Assert.Equal(Straddler, m.Memory.Read(JitTests.Record + 16, 8));       // the faulting instruction's RIP
    }

    // ECX passes, EBX the sum, then the loop that starts with the straddling instruction.
    private static void JumpToLoopAtStraddler(TestMachine m, int passes) => m.Load(TestMachine.CodeBase, a =>
    {
        a.mov(ecx, passes);
        a.xor(ebx, ebx);
        a.jmp(Straddler);
    });
}
