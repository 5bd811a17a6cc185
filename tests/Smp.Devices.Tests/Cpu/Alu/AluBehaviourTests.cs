using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Alu;

/// <summary>Hand-picked ALU cases whose behaviour is easy to get wrong (flags, partial registers, faults, modes).</summary>
public sealed class AluBehaviourTests
{
    private static ulong Flags(CpuCore c) => c.GetRflags();

    private static TestMachine Run64(Action<CpuCore> setup, Action<Assembler> code)
    {
        var m = TestMachine.LongMode(8 << 20);
        setup(m.Cpu);
        m.Load(a => { code(a); a.hlt(); });
        m.Run(100);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        return m;
    }

    [Fact]
    public void Inc_and_dec_preserve_carry_but_set_overflow_at_the_sign_boundary()
    {
        using var m = Run64(c => { c.R[Reg.RAX] = 0x7F; c.R[Reg.RBX] = 0; }, a => { a.stc(); a.inc(al); });
        Assert.Equal(0x80UL, m.Cpu.R[Reg.RAX]);
        ulong f = Flags(m.Cpu);
        Assert.True((f & Rflags.CF) != 0, "INC must keep CF");
        Assert.True((f & Rflags.OF) != 0);
        Assert.True((f & Rflags.SF) != 0);
        Assert.True((f & Rflags.AF) != 0);

        using var m2 = Run64(c => c.R[Reg.RBX] = 0, a => { a.clc(); a.dec(rbx); });
        Assert.Equal(ulong.MaxValue, m2.Cpu.R[Reg.RBX]);
        Assert.Equal(0UL, Flags(m2.Cpu) & (Rflags.CF | Rflags.OF | Rflags.ZF));
    }

    [Fact]
    public void High_byte_registers_read_and_write_bits_8_to_15()
    {
        using var m = Run64(c =>
        {
            c.R[Reg.RAX] = 0x1111_2222_3344_5566;
            c.R[Reg.RBX] = 0xAAAA_BBBB_CCCC_7788;
        }, a => { a.add(ah, bh); a.xor(bl, ah); a.neg(ch); });
        Assert.Equal(0x1111_2222_3344_CC66UL, m.Cpu.R[Reg.RAX]);      // 0x55 + 0x77 = 0xCC
        Assert.Equal(0xAAAA_BBBB_CCCC_7744UL, m.Cpu.R[Reg.RBX]);      // 0x88 ^ 0xCC
        Assert.Equal(0UL, m.Cpu.R[Reg.RCX]);                         // NEG 0 = 0, CF = 0
        Assert.Equal(0UL, Flags(m.Cpu) & Rflags.CF);
    }

    [Fact]
    public void Rcl_rotates_through_carry_and_nine_bit_count_is_identity_for_bytes()
    {
        using var m = Run64(c => { c.R[Reg.RAX] = 0x80; c.R[Reg.RCX] = 9; c.R[Reg.RDX] = 0x81; },
            a => { a.stc(); a.rcl(al, 1); a.rcl(dl, cl); });
        // 1000_0000 with CF=1 → 0000_0001, CF=1 (bit 7 out); OF = MSB ^ CF = 1.
        Assert.Equal(0x01UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0x81UL, m.Cpu.R[Reg.RDX]);                     // count 9 mod 9 = 0
        Assert.True((Flags(m.Cpu) & Rflags.CF) != 0);
    }

    [Fact]
    public void Shift_by_zero_leaves_flags_but_32_bit_destination_is_zero_extended()
    {
        using var m = Run64(c => { c.R[Reg.RAX] = 0xFFFF_FFFF_0000_0001; c.R[Reg.RCX] = 0x100; },
            a => { a.stc(); a.shl(eax, cl); });
        Assert.Equal(1UL, m.Cpu.R[Reg.RAX]);
        Assert.True((Flags(m.Cpu) & Rflags.CF) != 0);
    }

    [Fact]
    public void Thirty_two_bit_results_zero_extend_including_false_cmov()
    {
        using var m = Run64(c =>
        {
            c.R[Reg.RAX] = 0xDEAD_BEEF_0000_0001;
            c.R[Reg.RBX] = 0xFFFF_FFFF_0000_0002;
            c.R[Reg.RCX] = 0x1234_5678_9ABC_DEF0;
        }, a => { a.add(eax, ebx); a.cmp(eax, eax); a.cmovne(ecx, ebx); });
        Assert.Equal(3UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0x9ABC_DEF0UL, m.Cpu.R[Reg.RCX]);
    }

    [Fact]
    public void Bsf_with_zero_source_sets_zf_and_keeps_the_whole_destination()
    {
        using var m = Run64(c => { c.R[Reg.RAX] = 0xFFFF_FFFF_1234_5678; c.R[Reg.RBX] = 0xFFFF_FFFF_0000_0000; },
            a => { a.bsf(eax, ebx); });
        Assert.Equal(0xFFFF_FFFF_1234_5678UL, m.Cpu.R[Reg.RAX]);
        Assert.True((Flags(m.Cpu) & Rflags.ZF) != 0);
    }

    [Fact]
    public void Sixteen_bit_shld_and_shrd_beyond_sixteen_shift_the_p6_pattern_dest_src_dest()
    {
        // SDM Vol. 2B leaves the result undefined for a count above the operand size; the simulator models
        // Intel's P6 family, which shifts the 48-bit value dest:src:dest (AMD shifts dest:src:src).
        using var m = Run64(c => { c.R[Reg.RAX] = 0x1234; c.R[Reg.RBX] = 0xABCD; c.R[Reg.RDX] = 0x1234; },
            a => { a.shld(ax, bx, 20); a.shrd(dx, bx, 20); });
        Assert.Equal(0xBCD1UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0x4ABCUL, m.Cpu.R[Reg.RDX]);
    }

    [Fact]
    public void Bsr_with_zero_source_keeps_the_destination()
    {
        using var m = Run64(c => { c.R[Reg.RAX] = 0x8765_4321_1234_5678; c.R[Reg.RBX] = 0; },
            a => { a.bsr(rax, rbx); });
        Assert.Equal(0x8765_4321_1234_5678UL, m.Cpu.R[Reg.RAX]);
        Assert.True((Flags(m.Cpu) & Rflags.ZF) != 0);
    }

    [Fact]
    public void Lock_prefixed_memory_forms_update_memory()
    {
        ulong data = TestMachine.DataBase;
        using var m = Run64(c => { c.R[Reg.RBX] = data; c.R[Reg.RAX] = 5; c.R[Reg.RCX] = 3; }, a =>
        {
            a.@lock.add(__dword_ptr[rbx], eax);
            a.@lock.inc(__qword_ptr[rbx + 8]);
            a.@lock.bts(__dword_ptr[rbx + 16], ecx);
        });
        Assert.Equal(5UL, m.Memory.Read(data, 4));
        Assert.Equal(1UL, m.Memory.Read(data + 8, 8));
        Assert.Equal(8UL, m.Memory.Read(data + 16, 4));
        Assert.Equal(0UL, Flags(m.Cpu) & Rflags.CF);                // bit 3 was clear
    }

    [Fact]
    public void Bt_with_a_negative_register_offset_addresses_memory_below_the_operand()
    {
        ulong data = TestMachine.DataBase + 0x100;
        using var m = TestMachine.LongMode(8 << 20);
        m.Memory.Write(data - 4, 4, 0x8000_0000);
        m.Cpu.R[Reg.RBX] = data;
        m.Cpu.R[Reg.RCX] = ulong.MaxValue;                            // bit offset −1: bit 31 of the dword at −4
        m.Load(a => { a.btr(__dword_ptr[rbx], ecx); a.hlt(); });
        m.Run(10);
        Assert.Equal(0UL, m.Memory.Read(data - 4, 4));
        Assert.True((Flags(m.Cpu) & Rflags.CF) != 0);
    }

    [Fact]
    public void Div_by_zero_raises_de_at_the_div_with_registers_unchanged()
    {
        using var m = TestMachine.RealMode();
        var c = m.Cpu;
        m.Memory.Write(0, 2, 0x8000);                                  // IVT[0] = 0000:8000
        m.Memory.Write(2, 2, 0);
        m.Memory.Load(0x8000, [0xF4]);                                 // the #DE handler halts
        c.R[Reg.RAX] = 0x1234;
        c.R[Reg.RDX] = 0x5678;
        c.R[Reg.RBX] = 0;
        m.Load(a => { a.nop(); a.div(bx); a.hlt(); });
        m.Run(10);
        Assert.Equal(RunState.Halted, c.State);
        Assert.Equal(0x1234UL, c.R[Reg.RAX]);
        Assert.Equal(0x5678UL, c.R[Reg.RDX]);
        Assert.Equal(0x7C01UL, m.Memory.Read(0x7000 - 6, 2));         // pushed IP = the DIV, not after it
    }

    [Fact]
    public void Idiv_quotient_overflow_raises_de()
    {
        using var m = TestMachine.RealMode();
        var c = m.Cpu;
        m.Memory.Write(0, 4, 0x8000);
        m.Memory.Load(0x8000, [0xF4]);
        c.R[Reg.RAX] = 0x8000;                                          // DX:AX = −32768 / −1 = 32768: does not fit
        c.R[Reg.RDX] = 0xFFFF;
        c.R[Reg.RCX] = 0xFFFF;
        m.Load(a => { a.idiv(cx); a.hlt(); });
        m.Run(10);
        Assert.Equal(0x7C00UL, m.Memory.Read(0x7000 - 6, 2));
        Assert.Equal(0x8000UL, c.R[Reg.RAX]);
    }

    [Fact]
    public void One_byte_inc_dec_forms_work_in_32_bit_code()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.R[Reg.RAX] = 0xFFFF_FFFF;
        c.R[Reg.RBX] = 0;
        c.R[Reg.RCX] = 0x1_FFFF;
        m.Memory.Load(TestMachine.CodeBase, [0x40, 0x4B, 0x66, 0x41, 0xF4]); // inc eax; dec ebx; inc cx; hlt
        m.Run(10);
        Assert.Equal(0UL, c.R[Reg.RAX]);
        Assert.Equal(0xFFFF_FFFFUL, c.R[Reg.RBX]);
        Assert.Equal(0x1_0000UL, c.R[Reg.RCX]);
    }

    private static (ulong Rax, ulong Flags) Run32(ulong rax, Action<Assembler> code)
    {
        using var m = TestMachine.Protected32(8 << 20);
        m.Cpu.R[Reg.RAX] = rax;
        m.Load(a => { code(a); a.hlt(); });
        m.Run(10);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        return (m.Cpu.R[Reg.RAX], m.Cpu.GetRflags());
    }

    [Fact]
    public void Bcd_adjustments_follow_the_sdm_examples()
    {
        var daa = Run32(0x79, a => { a.add(al, 0x35); a.daa(); });      // BCD 79 + 35 = 114: AL = 14h, CF = 1
        Assert.Equal(0x14UL, daa.Rax & 0xFF);
        Assert.True((daa.Flags & Rflags.CF) != 0);

        var das = Run32(0x35, a => { a.sub(al, 0x47); a.das(); });      // BCD 35 − 47 = −12 → 88h with borrow
        Assert.Equal(0x88UL, das.Rax & 0xFF);
        Assert.True((das.Flags & Rflags.CF) != 0);

        var aad = Run32(0x0905, a => a.aad(10));                         // AL = 5 + 9 × 10 = 95 = 5Fh, AH = 0
        Assert.Equal(0x005FUL, aad.Rax & 0xFFFF);

        var aam = Run32(95, a => a.aam(10));                             // AH = 9, AL = 5
        Assert.Equal(0x0905UL, aam.Rax & 0xFFFF);
        Assert.Equal(0UL, aam.Flags & Rflags.ZF);

        var salc = Run32(0x1234, a => { a.stc(); a.db(0xD6); });         // SALC: AL = FFh when CF = 1
        Assert.Equal(0x12FFUL, salc.Rax & 0xFFFF);
    }

    [Fact]
    public void Aaa_adjusts_unpacked_bcd_and_aam_zero_raises_de()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.R[Reg.RAX] = 0x0108;
        m.Load(a => { a.add(al, 5); a.aaa(); a.hlt(); });              // 8 + 5 = 0Dh → AX = 0203h, CF = AF = 1
        m.Run(10);
        Assert.Equal(0x0203UL, c.R[Reg.RAX] & 0xFFFF);
        Assert.True((c.GetRflags() & (Rflags.CF | Rflags.AF)) == (Rflags.CF | Rflags.AF));

        using var m2 = TestMachine.RealMode();
        m2.Memory.Write(0, 4, 0x8000);
        m2.Memory.Load(0x8000, [0xF4]);
        m2.Memory.Load(0x7C00, [0xD4, 0x00, 0xF4]);                     // aam 0; hlt
        m2.Run(10);
        Assert.Equal(0x7C00UL, m2.Memory.Read(0x7000 - 6, 2));
    }

    [Fact]
    public void Lahf_and_sahf_transfer_status_flags_in_64_bit_mode()
    {
        using var m = Run64(c => { c.R[Reg.RAX] = 0xD5_00; c.R[Reg.RBX] = 0; }, a =>
        {
            a.sahf();                                                    // SF ZF AF PF CF ← 1
            a.mov(ecx, 0);                                               // MOV leaves flags
            a.cmc();                                                     // CF ← 0
            a.lahf();
        });
        Assert.Equal(0xD4UL | 2, (m.Cpu.R[Reg.RAX] >> 8) & 0xFF);
        Assert.Equal(0UL, Flags(m.Cpu) & Rflags.OF);
    }

    [Fact]
    public void Mul_64_produces_the_high_half_and_sets_cf_of()
    {
        using var m = Run64(c => { c.R[Reg.RAX] = ulong.MaxValue; c.R[Reg.RBX] = ulong.MaxValue; }, a => a.mul(rbx));
        Assert.Equal(1UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(ulong.MaxValue - 1, m.Cpu.R[Reg.RDX]);
        Assert.Equal(Rflags.CF | Rflags.OF, Flags(m.Cpu) & (Rflags.CF | Rflags.OF));
    }
}
