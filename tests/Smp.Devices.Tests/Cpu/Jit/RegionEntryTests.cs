using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>
/// A translated region is entered not only at its head but at any of its nodes outside an inlined call: code reached
/// from elsewhere (a second entry point, a return into the middle) runs translated without a region of its own, and
/// exactly as the interpreter runs it (JitTests.Compare).
/// </summary>
public sealed class RegionEntryTests
{
    private const ulong F = TestMachine.CodeBase + 0x400, Middle = F + 8;

    [Fact]
    public void Code_reached_in_the_middle_of_a_region_runs_translated_from_there_without_a_region_of_its_own()
    {
        long total = 0;
        long translated = JitTests.Compare(m => m.Load(F, a =>
        {
            a.add(ebx, 1);                  // 3 bytes
            a.cmp(ebx, -1);                 // 3 bytes
            a.je(F + 0x40);                 // 2 bytes: the head block ends here, Middle starts the next
            a.add(edx, ebx);
            a.rol(edx, 3);
            a.ret();
        }), a =>
        {
            var warm = a.CreateLabel();
            var top = a.CreateLabel();
            var middle = a.CreateLabel();
            var next = a.CreateLabel();
            a.mov(ecx, 100);
            a.Label(ref warm);
            a.call(F);                      // F becomes hot and heads a region holding Middle
            a.dec(ecx);
            a.jnz(warm);
            a.mov(ecx, 4000);
            a.Label(ref top);
            a.test(ecx, 3);
            a.jz(middle);
            a.call(F);
            a.jmp(next);
            a.Label(ref middle);
            a.call(Middle);                 // a second entry point, a quarter of the passes
            a.Label(ref next);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        }, verify: m =>
        {
            Assert.Equal(RunState.Halted, m.Cpu.State);
            Assert.NotNull(m.Cpu.TranslationAt(F));
            Assert.Null(m.Cpu.TranslationAt(Middle));
            total = m.Cpu.InstructionsRetired;
        });
        Assert.True(translated > total * 9 / 10, $"{translated} of {total} instructions ran translated");
    }

    [Fact]
    public void A_block_inside_a_translated_loop_is_no_entry_and_forms_a_region_of_its_own_when_reached_from_outside()
    {
        // The loop: Top (head) → Inner → back to Top. Entering a translation at Inner would give its loop a second
        // entry, which the .NET JIT compiles far worse, so Inner is reached from outside through a region of its own.
        const ulong Top = TestMachine.CodeBase + 0x400, Inner = Top + 7;
        JitTests.Compare(m => m.Load(Top, a =>
        {
            a.add(ebx, ecx);                // 2 bytes
            a.cmp(ebx, 7);                  // 3 bytes
            a.je(Top + 0x40);               // 2 bytes: the head block ends here, Inner starts the next
            a.add(edx, ebx);
            a.dec(esi);
            a.jnz(Top);
            a.ret();
        }), a =>
        {
            var warm = a.CreateLabel();
            var again = a.CreateLabel();
            a.mov(ecx, 3);
            a.Label(ref warm);
            a.mov(esi, 50);
            a.call(Top);                    // the loop becomes hot and heads a region holding Inner
            a.dec(ecx);
            a.jnz(warm);
            a.mov(ecx, 200);
            a.Label(ref again);
            a.mov(esi, 1);
            a.call(Inner);                  // Inner reached from outside, again and again
            a.dec(ecx);
            a.jnz(again);
            a.hlt();
        }, verify: m =>
        {
            Assert.Equal(RunState.Halted, m.Cpu.State);
            Assert.NotNull(m.Cpu.TranslationAt(Top));
            Assert.NotNull(m.Cpu.TranslationAt(Inner));
        });
    }
}
