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

    [Fact]
    public void A_fault_inside_a_chained_block_counts_exactly_the_retired_instructions_and_pushes_the_faulting_ip()
    {
        using var m = TestMachine.RealMode();
        // IVT[0] (#DE) -> 0000:9000, where the handler halts.
        m.Memory.Write(0, 2, 0x9000);
        m.Memory.Write(2, 2, 0);
        m.Load(0x9000, a => a.hlt());
        ulong divAddress = 0;
        m.Load(0x7C00, a =>
        {
            var top = a.CreateLabel();
            var body = a.CreateLabel();
            a.mov(bl, 3);
            a.Label(ref top);
            a.jmp(body);
            a.Label(ref body);
            a.dec(bl);
            a.mov(ax, 6);
            a.div(bl);                 // divides by 2, 1, then 0: the third pass runs as a chained block and faults
            a.jmp(top);
        });
        // mov bl (2 bytes), jmp (2), dec bl (2), mov ax (3): the DIV follows.
        divAddress = 0x7C00 + 2 + 2 + 2 + 3;

        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        // 1 + 5 + 5 instructions, then jmp, dec, mov of the third pass, then the handler's HLT.
        Assert.Equal(15, m.Cpu.InstructionsRetired);
        Assert.Equal(6UL, m.Cpu.R[Reg.RAX] & 0xFFFF);
        ushort sp = (ushort)m.Cpu.R[Reg.RSP];
        Assert.Equal(divAddress, m.Memory.Read((ulong)sp, 2)); // the pushed IP is the DIV (a fault)
    }
}
