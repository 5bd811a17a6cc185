using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu;

public class ExecutionLoopTests
{
    [Fact]
    public void Countdown_loop_in_long_mode_retires_exact_instruction_count_and_halts()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 1000);
            a.Label(ref top);
            a.dec(rcx);
            a.jne(top);
            a.hlt();
        });
        m.Run();
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(0UL, m.Cpu.R[Reg.RCX]);
        Assert.Equal(1 + 2 * 1000 + 1, m.Cpu.InstructionsRetired);
    }

    [Fact]
    public void Budget_stops_mid_block_at_an_exact_instruction()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 1000);
            a.Label(ref top);
            a.dec(rcx);
            a.jne(top);
            a.hlt();
        });
        Assert.Equal(6, m.Run(6));
        Assert.Equal(997UL, m.Cpu.R[Reg.RCX]); // mov, (dec, jne) × 2, dec
        Assert.Equal(RunState.Running, m.Cpu.State);
    }

    [Fact]
    public void Writing_into_decoded_code_is_seen_by_the_next_execution()
    {
        using var m = TestMachine.LongMode();
        // First pass: rax = 1, then patch the immediate of the first mov to 2 and jump back once.
        m.Load(a =>
        {
            var start = a.CreateLabel();
            var done = a.CreateLabel();
            a.Label(ref start);
            a.mov(rax, 1L);                                   // 48 B8 imm64: immediate at +2
            a.cmp(rbx, 1);
            a.je(done);
            a.mov(rbx, 1L);
            a.mov(rdx, (long)TestMachine.CodeBase + 2);
            a.mov(rcx, 2L);
            a.mov(__qword_ptr[rdx], rcx);
            a.jmp(start);
            a.Label(ref done);
            a.hlt();
        });
        m.Run();
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(2UL, m.Cpu.R[Reg.RAX]);
    }
}
