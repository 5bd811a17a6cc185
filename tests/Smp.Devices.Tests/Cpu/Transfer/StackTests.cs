using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Transfer;

public class StackTests
{
    [Fact]
    public void Push_and_pop_use_the_operand_size_for_rsp_arithmetic_in_long_mode()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 0x1122_3344_5566_7788L);
            a.push(rax);      // -8
            a.push(ax);       // 66 50: -2
            a.push(-2);       // 6A FE: pushq imm8 sign-extended, -8
            a.pop(rbx);
            a.pop(cx);
            a.pop(rdx);
            a.hlt();
        });
        m.Run();
        var c = m.Cpu;
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFEUL, c.R[Reg.RBX]);
        Assert.Equal(0x7788UL, c.R[Reg.RCX]);
        Assert.Equal(0x1122_3344_5566_7788UL, c.R[Reg.RDX]);
        Assert.Equal(TestMachine.StackTop, c.R[Reg.RSP]);
        Assert.Equal(0x7788UL, m.Memory.Read(TestMachine.StackTop - 10, 2));
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFEUL, m.Memory.Read(TestMachine.StackTop - 18, 8));
    }

    [Fact]
    public void Push_imm32_sign_extends_and_pop_rsp_loads_the_popped_value()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.push(-0x1234_5678);
            a.push(rsp);          // pushes the value before the decrement
            a.pop(rax);
            a.pop(rsp);
            a.hlt();
        });
        m.Run();
        var c = m.Cpu;
        Assert.Equal(TestMachine.StackTop - 8, c.R[Reg.RAX]);
        Assert.Equal(unchecked((ulong)-0x1234_5678L), c.R[Reg.RSP]);
    }

    [Fact]
    public void Pop_to_memory_addressed_through_rsp_uses_the_incremented_rsp()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 0xABCDL);
            a.push(rax);
            a.pop(__qword_ptr[rsp + 8]);   // stores at (old RSP + 8) + 8
            a.hlt();
        });
        m.Run();
        Assert.Equal(TestMachine.StackTop, m.Cpu.R[Reg.RSP]);
        Assert.Equal(0xABCDUL, m.Memory.Read(TestMachine.StackTop + 8, 8));
    }

    [Fact]
    public void Sixteen_bit_stack_pointer_wraps_and_keeps_the_upper_half_of_esp_in_real_mode()
    {
        using var m = TestMachine.RealMode();
        var c = m.Cpu;
        c.R[Reg.RSP] = 0x1234_0000;
        m.Load(a =>
        {
            a.mov(ax, 0xBEEF);
            a.push(ax);
            a.mov(dx, __word_ptr[0xFFFE]);  // DS = SS = 0
            a.hlt();
        });
        m.Run();
        Assert.Equal(0x1234_FFFEUL, c.R[Reg.RSP]);
        Assert.Equal(0xBEEFUL, m.Memory.Read(0xFFFE, 2));
        Assert.Equal(0xBEEFUL, c.R[Reg.RDX] & 0xFFFF);
    }

    [Fact]
    public void Push_at_sp_one_in_real_mode_raises_stack_fault_and_keeps_sp()
    {
        using var m = TestMachine.RealMode();
        var c = m.Cpu;
        c.R[Reg.RSP] = 1;
        m.Load(a => a.push(ax));   // would write offsets 0xFFFF..0x10000, past the limit
        var f = Stepper.Step(m);
        Assert.NotNull(f);
        Assert.Equal(Vector.SS, f!.Vector);
        Assert.Equal(1UL, c.R[Reg.RSP]);
        Assert.Equal(0x7C00UL, c.Rip);
    }

    [Fact]
    public void Pusha_and_popa_round_trip_in_32_bit_mode_and_skip_esp()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        for (int r = 0; r < 8; r++) if (r != Reg.RSP) c.R[r] = 0x1000u * (uint)(r + 1);
        m.Load(a =>
        {
            a.pushad();
            a.mov(eax, 0);
            a.mov(ebp, 0);
            a.mov(edi, 0);
            a.mov(esi, __dword_ptr[esp + 12]);  // saved original ESP
            a.popad();
            a.hlt();
        });
        m.Run();
        Assert.Equal(0x1000UL, c.R[Reg.RAX]);
        Assert.Equal(0x6000UL, c.R[Reg.RBP]);
        Assert.Equal(0x8000UL, c.R[Reg.RDI]);
        Assert.Equal(0x7000UL, c.R[Reg.RSI]);
        Assert.Equal(TestMachine.StackTop, c.R[Reg.RSP]);
        Assert.Equal(TestMachine.StackTop, m.Memory.Read(TestMachine.StackTop - 20, 4));
    }

    [Fact]
    public void Popf_at_cpl0_changes_iopl_and_if_and_clears_rf()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            a.push(0x1_3203);   // RF, IOPL 3, IF, CF
            a.popfq();
        });
        Assert.Null(Stepper.Step(m, 2));
        ulong f = c.GetRflags();
        Assert.Equal(3UL << 12, f & Rflags.IOPL);
        Assert.NotEqual(0UL, f & Rflags.IF);
        Assert.NotEqual(0UL, f & Rflags.CF);
        Assert.Equal(0UL, f & Rflags.RF);
        Assert.Equal(TestMachine.StackTop, c.R[Reg.RSP]);
    }

    [Fact]
    public void Popf_at_cpl3_above_iopl_leaves_if_and_iopl_but_changes_status_flags()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.Cpl = 3;
        c.UpdateMode();
        c.SetRflags(Rflags.Reserved1);         // IOPL 0, IF 0
        m.Load(a =>
        {
            a.push(0x3203 | 0x800);           // IOPL 3, IF, CF, OF
            a.popfq();
        });
        Assert.Null(Stepper.Step(m, 2));
        ulong f = c.GetRflags();
        Assert.Equal(0UL, f & Rflags.IOPL);
        Assert.Equal(0UL, f & Rflags.IF);
        Assert.NotEqual(0UL, f & Rflags.CF);
        Assert.NotEqual(0UL, f & Rflags.OF);
    }

    [Fact]
    public void Popf_at_cpl3_within_iopl_changes_if_but_not_iopl()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.Cpl = 3;
        c.UpdateMode();
        c.SetRflags(Rflags.Reserved1 | Rflags.IOPL);    // IOPL 3, IF 0
        m.Load(a =>
        {
            a.push(0x0201);                           // IOPL 0, IF, CF
            a.popfq();
        });
        Assert.Null(Stepper.Step(m, 2));
        ulong f = c.GetRflags();
        Assert.Equal(Rflags.IOPL, f & Rflags.IOPL);
        Assert.NotEqual(0UL, f & Rflags.IF);
    }

    [Fact]
    public void Popf_16_bit_changes_only_the_low_word()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.SetRflags(Rflags.Reserved1 | Rflags.AC);
        m.Load(a =>
        {
            a.push(0x0001);
            a.popf();     // 66 9D
            a.hlt();
        });
        m.Run();
        ulong f = c.GetRflags();
        Assert.NotEqual(0UL, f & Rflags.AC);
        Assert.NotEqual(0UL, f & Rflags.CF);
        Assert.Equal(TestMachine.StackTop - 2, c.R[Reg.RSP]);
    }

    [Fact]
    public void Pushf_clears_rf_in_the_image()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.SetRflags(Rflags.Reserved1 | Rflags.RF | Rflags.CF);
        m.Load(a => a.pushfq());
        Assert.Null(Stepper.Step(m));
        Assert.Equal(Rflags.Reserved1 | Rflags.CF, m.Memory.Read(TestMachine.StackTop - 8, 8));
    }

    [Fact]
    public void Enter_with_nesting_copies_frame_pointers_and_leave_undoes_it()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.R[Reg.RBP] = 0x1F_F000;
        c.R[Reg.RSP] = 0x1F_E000;
        m.Memory.Write(0x1F_F000 - 4, 4, 0xAAAA_0001);
        m.Memory.Write(0x1F_F000 - 8, 4, 0xAAAA_0002);
        m.Load(a => { a.enter(0x20, 3); a.leave(); });
        Assert.Null(Stepper.Step(m));
        Assert.Equal(0x1F_DFFCUL, c.R[Reg.RBP]);
        Assert.Equal(0x1F_DFD0UL, c.R[Reg.RSP]);
        Assert.Equal(0x1F_F000UL, m.Memory.Read(0x1F_DFFC, 4));
        Assert.Equal(0xAAAA_0001UL, m.Memory.Read(0x1F_DFF8, 4));
        Assert.Equal(0xAAAA_0002UL, m.Memory.Read(0x1F_DFF4, 4));
        Assert.Equal(0x1F_DFFCUL, m.Memory.Read(0x1F_DFF0, 4));
        Assert.Null(Stepper.Step(m));
        Assert.Equal(0x1F_F000UL, c.R[Reg.RBP]);
        Assert.Equal(0x1F_E000UL, c.R[Reg.RSP]);
    }

    [Fact]
    public void Enter_level_zero_and_one_in_long_mode()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.R[Reg.RBP] = 0x1234;
        m.Load(a => { a.enter(0x10, 0); a.enter(0, 1); });
        Assert.Null(Stepper.Step(m));
        Assert.Equal(TestMachine.StackTop - 8, c.R[Reg.RBP]);
        Assert.Equal(TestMachine.StackTop - 0x18, c.R[Reg.RSP]);
        Assert.Equal(0x1234UL, m.Memory.Read(TestMachine.StackTop - 8, 8));
        Assert.Null(Stepper.Step(m));
        // level 1: push rbp, then push the new frame pointer.
        Assert.Equal(TestMachine.StackTop - 0x20, c.R[Reg.RBP]);
        Assert.Equal(TestMachine.StackTop - 0x28, c.R[Reg.RSP]);
        Assert.Equal(TestMachine.StackTop - 0x20, m.Memory.Read(TestMachine.StackTop - 0x28, 8));
    }
}
