using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>Hot loops run translated by the JIT must behave exactly as the interpreter: same registers, flags, memory, counts and faults.</summary>
public class HotLoopTests
{
    private sealed record Outcome(ulong[] Registers, ulong Rflags, ulong Rip, long Retired, RunState State, string? Shutdown, byte[] Data, long Compiled, long Translated);

    private static Outcome Run(bool compile)
    {
        using var m = TestMachine.LongMode(8 << 20);
        m.Cpu.CompileHotBlocks = compile;
        ulong f = TestMachine.CodeBase + 0x800;
        m.Load(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            var skip = a.CreateLabel();
            a.mov(rcx, 1000L);
            a.mov(rsi, (long)TestMachine.DataBase);
            a.xor(eax, eax);
            a.mov(r10, 700L);
            a.Label(ref top);
            a.add(rax, rcx);
            a.mov(__qword_ptr[rsi + rcx * 8], rax);
            a.imul(rbx, rax, 3);
            a.xor(rdx, rbx);
            a.shl(rdx, 1);
            a.call(f);
            a.push(rcx);
            a.lea(rdi, __[rsi + 0x4000]);
            a.mov(ecx, 8);
            a.mov(r9, rax);
            a.mov(al, 0x5A);
            a.rep.stosb();
            a.mov(rax, r9);
            a.pop(rcx);
            a.cmp(rax, rbx);
            a.jb(skip);
            a.inc(r8);
            a.Label(ref skip);
            // A division whose divisor reaches zero after the block has become hot (and compiled).
            a.push(rax);
            a.push(rdx);
            a.mov(eax, 5);
            a.xor(edx, edx);
            a.dec(r10);
            a.div(r10);
            a.pop(rdx);
            a.pop(rax);
            a.dec(rcx);
            a.jne(top);
            a.hlt();
        });
        m.Load(f, a => { a.add(r11, 1); a.ret(); });
        m.Run(5_000_000);
        var data = new byte[0x4100];
        m.Memory.Copy(TestMachine.DataBase, data);
        return new Outcome([.. Enumerable.Range(0, 16).Select(r => m.Cpu.R[r])], m.Cpu.GetRflags(), m.Cpu.Rip,
            m.Cpu.InstructionsRetired, m.Cpu.State, m.Cpu.ShutdownReason, data, m.Cpu.BlocksCompiled, m.Cpu.InstructionsTranslated);
    }

    [Fact]
    public void Compiled_hot_blocks_end_in_exactly_the_interpreters_state_including_a_fault_in_a_compiled_block()
    {
        var interpreted = Run(compile: false);
        var compiled = Run(compile: true);

        // The division by zero happens on the 700th pass, long after the blocks were compiled; without an
        // IDT its delivery escalates to shutdown, and both paths must agree on where and how.
        Assert.Equal(RunState.Shutdown, interpreted.State);
        Assert.Equal(interpreted.State, compiled.State);
        Assert.Equal(interpreted.Shutdown, compiled.Shutdown);
        Assert.Equal(interpreted.Rip, compiled.Rip);
        Assert.Equal(interpreted.Retired, compiled.Retired);
        Assert.Equal(interpreted.Registers, compiled.Registers);
        Assert.Equal(interpreted.Rflags, compiled.Rflags);
        Assert.Equal(interpreted.Data, compiled.Data);
        Assert.True(interpreted.Retired > 700 * 20, $"the loop ran {interpreted.Retired} instructions");
        Assert.Equal(0, interpreted.Compiled);
        Assert.True(compiled.Compiled >= 1, "nothing was compiled");
        Assert.True(compiled.Translated > compiled.Retired / 2, $"{compiled.Translated} of {compiled.Retired} instructions ran translated");
    }
}
