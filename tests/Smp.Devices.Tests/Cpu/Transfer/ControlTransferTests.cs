using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Transfer;

public class ControlTransferTests
{
    private const ulong CF = 1, PF = 4, ZF = 0x40, SF = 0x80, OF = 0x800;

    // Independent restatement of the Jcc conditions (SDM Vol. 2A Jcc table), in encoding order.
    private static bool Expected(int cc, ulong f)
    {
        bool cf = (f & CF) != 0, pf = (f & PF) != 0, zf = (f & ZF) != 0, sf = (f & SF) != 0, of = (f & OF) != 0;
        bool r = (cc >> 1) switch
        {
            0 => of, 1 => cf, 2 => zf, 3 => cf || zf, 4 => sf, 5 => pf, 6 => sf != of, _ => zf || sf != of,
        };
        return (cc & 1) != 0 ? !r : r;
    }

    public static TheoryData<int, string> Forms() => new()
    {
        { 16, "rel8" }, { 16, "rel16" }, { 32, "rel8" }, { 32, "rel32" }, { 64, "rel8" }, { 64, "rel32" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Every_condition_code_branches_exactly_when_its_flags_say_so(int bits, string form)
    {
        using var m = bits == 16 ? TestMachine.RealMode() : bits == 32 ? TestMachine.Protected32() : TestMachine.LongMode();
        var c = m.Cpu;
        ulong start = c.Rip, la = c.CurrentLinearIp;
        for (int cc = 0; cc < 16; cc++)
        {
            byte[] code = form == "rel8"
                ? [(byte)(0x70 + cc), 0x40]
                : bits == 16 ? [0x0F, (byte)(0x80 + cc), 0x00, 0x01] : [0x0F, (byte)(0x80 + cc), 0x00, 0x01, 0x00, 0x00];
            ulong disp = form == "rel8" ? 0x40UL : 0x100UL;
            m.Memory.Load(la, code);
            for (int combo = 0; combo < 32; combo++)
            {
                ulong f = ((combo & 1) != 0 ? CF : 0) | ((combo & 2) != 0 ? PF : 0) | ((combo & 4) != 0 ? ZF : 0)
                    | ((combo & 8) != 0 ? SF : 0) | ((combo & 16) != 0 ? OF : 0);
                c.SetRflags(Rflags.Reserved1 | f);
                c.Rip = start;
                Assert.Null(Stepper.Step(m));
                ulong next = start + (ulong)code.Length;
                Assert.Equal(Expected(cc, f) ? next + disp : next, c.Rip);
            }
        }
    }

    [Fact]
    public void Jcc_with_16_bit_operand_size_in_32_bit_code_truncates_eip()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.SetRflags(Rflags.Reserved1 | ZF);
        // 66 0F 84 rel16 at 0x100000: next IP 0x100005, target (0x100005 + 0x10) & 0xFFFF = 0x0015.
        m.Memory.Load(TestMachine.CodeBase, [0x66, 0x0F, 0x84, 0x10, 0x00]);
        Assert.Null(Stepper.Step(m));
        Assert.Equal(0x15UL, c.Rip);
    }

    [Fact]
    public void Branch_beyond_the_cs_limit_raises_gp_at_the_branch()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.Segs[Seg.CS].Limit = 0x10_00FF;
        m.Memory.Load(TestMachine.CodeBase, [0xEB, 0x7F]);   // jmp +0x7F → 0x100081 (inside)
        Assert.Null(Stepper.Step(m));
        Assert.Equal(0x10_0081UL, c.Rip);
        c.Rip = TestMachine.CodeBase;
        m.Memory.Load(TestMachine.CodeBase, [0xE9, 0x00, 0x01, 0x00, 0x00]);   // jmp +0x100 → 0x100105 (outside)
        var f = Stepper.Step(m);
        Assert.Equal(Vector.GP, f?.Vector);
        Assert.Equal(0u, f!.ErrorCode);
        Assert.Equal(TestMachine.CodeBase, c.Rip);
    }

    [Fact]
    public void Jump_to_non_canonical_address_raises_gp_with_rip_at_the_jump()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            a.mov(rax, 0x0000_8000_0000_0000L);
            a.jmp(rax);
        });
        Assert.Null(Stepper.Step(m));
        ulong jmpAt = c.Rip;
        var f = Stepper.Step(m);
        Assert.Equal(Vector.GP, f?.Vector);
        Assert.Equal(jmpAt, c.Rip);
    }

    [Fact]
    public void Call_to_non_canonical_address_raises_gp_without_pushing()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            a.mov(rax, unchecked((long)0xFFFF_7000_0000_0000UL));
            a.call(rax);
        });
        Assert.Null(Stepper.Step(m));
        Assert.Equal(Vector.GP, Stepper.Step(m)?.Vector);
        Assert.Equal(TestMachine.StackTop, c.R[Reg.RSP]);
    }

    [Fact]
    public void Call_and_ret_imm_pass_an_argument_and_release_it()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        Label func = default, after = default;
        m.Load(a =>
        {
            func = a.CreateLabel();
            after = a.CreateLabel();
            a.push(0x77);
            a.call(func);
            a.Label(ref after);
            a.hlt();
            a.Label(ref func);
            a.mov(rax, __qword_ptr[rsp + 8]);
            a.mov(rbx, __qword_ptr[rsp]);
            a.ret(8);
        });
        m.Run();
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x77UL, c.R[Reg.RAX]);
        Assert.Equal(TestMachine.CodeBase + 2 + 5, c.R[Reg.RBX]);   // push imm8 (2) + call rel32 (5)
        Assert.Equal(TestMachine.StackTop, c.R[Reg.RSP]);
    }

    [Fact]
    public void Indirect_call_through_memory_and_near_ret_in_real_mode()
    {
        using var m = TestMachine.RealMode();
        var c = m.Cpu;
        m.Memory.Write(0x500, 2, 0x7D00);
        m.Load(0x7D00, a => { a.mov(ax, 0x4242); a.ret(); });
        m.Load(a =>
        {
            a.call(__word_ptr[0x500]);
            a.hlt();
        });
        m.Run();
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x4242UL, c.R[Reg.RAX]);
        Assert.Equal(0x7000UL, c.R[Reg.RSP]);
        Assert.Equal(0x7C04UL + 1, c.Rip);   // call [0x500] is 4 bytes, hlt 1
    }

    [Fact]
    public void Loop_with_address_size_prefix_counts_in_cx_and_keeps_upper_ecx()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        m.Load(a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 0x1_0003);
            a.mov(eax, 0);
            a.Label(ref top);
            a.lea(eax, __dword_ptr[eax + 1]);   // 3 bytes
            a.db(0x67, 0xE2, unchecked((byte)-6)); // loop top, counting in CX
            a.hlt();
        });
        m.Run();
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(3UL, c.R[Reg.RAX]);
        Assert.Equal(0x1_0000UL, c.R[Reg.RCX]);
    }

    [Fact]
    public void Loopne_stops_on_zero_flag_and_jrcxz_skips_when_count_is_zero()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.SetRflags(Rflags.Reserved1 | ZF);
        m.Load(a =>
        {
            var top = a.CreateLabel();
            var skip = a.CreateLabel();
            a.mov(rcx, 5L);
            a.Label(ref top);
            a.loopne(top);          // ZF = 1: decrements once and falls through
            a.mov(rdx, rcx);
            a.mov(rcx, 0L);
            a.jrcxz(skip);
            a.mov(rbx, 1L);
            a.Label(ref skip);
            a.hlt();
        });
        m.Run();
        Assert.Equal(4UL, c.R[Reg.RDX]);
        Assert.Equal(0UL, c.R[Reg.RBX]);
        Assert.Equal(RunState.Halted, c.State);
    }

    [Fact]
    public void Plain_loop_runs_rcx_times_in_long_mode()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 1000L);
            a.mov(rax, 0L);
            a.Label(ref top);
            a.lea(rax, __qword_ptr[rax + 2]);
            a.loop(top);
            a.hlt();
        });
        m.Run();
        Assert.Equal(2000UL, c.R[Reg.RAX]);
        Assert.Equal(0UL, c.R[Reg.RCX]);
    }

    [Fact]
    public void Ret_with_16_bit_operand_in_32_bit_code_pops_two_bytes()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.R[Reg.RSP] = TestMachine.StackTop - 2;
        m.Memory.Write(TestMachine.StackTop - 2, 2, 0x1234);
        m.Memory.Load(TestMachine.CodeBase, [0x66, 0xC2, 0x04, 0x00]);   // retw 4
        Assert.Null(Stepper.Step(m));
        Assert.Equal(0x1234UL, c.Rip);
        Assert.Equal(TestMachine.StackTop + 4, c.R[Reg.RSP]);
    }
}
