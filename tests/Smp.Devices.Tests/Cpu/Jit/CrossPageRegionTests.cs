using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>
/// A translated region may span linear pages (and hold an instruction that straddles two): the pages after the head's are
/// checked again whenever the CPU's fetch path changes, quietly, so that a remapped page runs its new code, a page no
/// longer present faults where the interpreter's fetch would, and a page whose accessed flag was cleared gets it set
/// again by a fetch (SDM Vol. 3A §4.8). Each case runs translated and interpreted in the same quanta and compares the
/// whole machine (JitTests.Compare).
/// </summary>
public sealed class CrossPageRegionTests
{
    // The loop: two instructions before the straddling MOV EAX, imm32 (opcode and the immediate's low byte on the first
    // page, its other three bytes on the second), the rest of the loop on the second page.
    private const ulong Boundary = TestMachine.CodeBase + 0x1000, Straddler = Boundary - 2, Head = Straddler - 4;
    private const ulong Pte = TestMachine.PageTables + 0x3000 + (Boundary >> 21) * 0x1000 + ((Boundary >> 12) & 511) * 8;
    private const ulong OtherFrame = TestMachine.DataBase + 0x10_0000;

    private static void LoadLoop(TestMachine m) => LoadLoop(m, Head);

    // The loop, its back edge going to `top` (Head, or the straddler itself).
    private static void LoadLoop(TestMachine m, ulong top)
    {
        m.SplitLargePage(Boundary);
        m.Load(Head, a =>
        {
            a.add(ebx, ecx);                // 2 bytes
            a.xor(edx, ebx);                // 2 bytes, up to the straddler
        });
        m.Load(Straddler, a =>
        {
            a.mov(eax, 0x0102_0304);
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(top);
            a.ret();
        });
    }

    // Rounds of the loop called from the first code page, `between` running after each round.
    private static Action<Iced.Intel.Assembler> Rounds(int rounds, int passes, Action<Iced.Intel.Assembler> between) => Rounds(rounds, passes, Head, between);

    private static Action<Iced.Intel.Assembler> Rounds(int rounds, int passes, ulong entry, Action<Iced.Intel.Assembler> between) => a =>
    {
        var outer = a.CreateLabel();
        a.mov(esi, rounds);
        a.xor(ebx, ebx);
        a.Label(ref outer);
        a.mov(ecx, passes);
        a.call(entry);
        between(a);
        a.dec(esi);
        a.jnz(outer);
        a.hlt();
    };

    [Fact]
    public void A_loop_across_a_page_boundary_runs_translated_straddling_instruction_included()
    {
        long total = 0;
        long translated = JitTests.Compare(LoadLoop, Rounds(1, 20_000, _ => { }), verify: m =>
        {
            Assert.Equal(RunState.Halted, m.Cpu.State);
            total = m.Cpu.InstructionsRetired;
        });
        // Before regions could cross pages, the straddling instruction and the page switch left the region every pass.
        Assert.True(translated > total * 95 / 100, $"{translated} of {total} instructions ran translated");
    }

    [Fact]
    public void A_region_runs_the_new_code_of_its_second_page_after_a_remap_and_invlpg()
    {
        JitTests.Compare(m =>
        {
            LoadLoop(m);
            // The same second page in another frame, but for the immediate's three upper bytes.
            var page = new byte[0x1000];
            m.Memory.Copy(Boundary, page);
            page[0] = 0x11; page[1] = 0x22; page[2] = 0x33;
            m.Memory.Load(OtherFrame, page);
        }, Rounds(2, 3000, a =>
        {
            a.mov(rax, (long)(OtherFrame | 7));
            a.mov(rdi, (long)Pte);
            a.mov(__qword_ptr[rdi], rax);
            a.invlpg(__byte_ptr[(long)Boundary]);
        }), verify: m =>
        {
            uint sum = unchecked((uint)(3000L * 3001 / 2 * 2 + 3000L * 0x0102_0304 + 3000L * 0x3322_1104));
            Assert.Equal(sum, (uint)m.Cpu.R[Reg.RBX]);
        });
    }

    [Fact]
    public void A_region_headed_by_a_straddling_instruction_runs_its_second_page_as_remapped()
    {
        JitTests.Compare(m =>
        {
            LoadLoop(m, Straddler);
            var page = new byte[0x1000];
            m.Memory.Copy(Boundary, page);
            page[0] = 0x11; page[1] = 0x22; page[2] = 0x33;
            m.Memory.Load(OtherFrame, page);
        }, Rounds(2, 3000, Straddler, a =>
        {
            a.mov(rax, (long)(OtherFrame | 7));
            a.mov(rdi, (long)Pte);
            a.mov(__qword_ptr[rdi], rax);
            a.invlpg(__byte_ptr[(long)Boundary]);
        }), verify: m => Assert.Equal(unchecked((uint)(3000L * 0x0102_0304 + 3000L * 0x3322_1104)), (uint)m.Cpu.R[Reg.RBX]));
    }

    [Fact]
    public void A_region_whose_second_page_is_no_longer_present_faults_at_the_straddling_instruction()
    {
        JitTests.Compare(m =>
        {
            LoadLoop(m);
            JitTests.FaultRecorder(m);
        }, Rounds(2, 3000, a =>
        {
            a.mov(rdi, (long)Pte);
            a.and(__qword_ptr[rdi], ~1);
            a.invlpg(__byte_ptr[(long)Boundary]);
        }), verify: m =>
        {
            Assert.Equal(Boundary, m.Memory.Read(JitTests.Record, 8));        // CR2: the second page
            Assert.Equal(Straddler, m.Memory.Read(JitTests.Record + 16, 8));  // RIP: the first fetch that needs it
        });
    }

    [Fact]
    public void A_region_whose_second_page_lost_its_accessed_flag_lets_the_fetch_set_it_again()
    {
        JitTests.Compare(LoadLoop, Rounds(3, 3000, a =>
        {
            a.mov(rdi, (long)Pte);
            a.mov(rax, __qword_ptr[rdi]);
            a.mov(__qword_ptr[rsi * 8 + (long)(TestMachine.DataBase + 0x100)], rax);   // the PTE as the round left it
            a.and(__qword_ptr[rdi], ~0x20);
            a.invlpg(__byte_ptr[(long)Boundary]);
        }), verify: m =>
        {
            for (ulong round = 1; round <= 3; round++)
                Assert.Equal(0x20UL, m.Memory.Read(TestMachine.DataBase + 0x100 + round * 8, 8) & 0x20);
        });
    }
}
