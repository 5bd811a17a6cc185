using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Fpu;
using Smp.Devices.Platform;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Fpu;

public sealed class X87InstructionTests
{
    private const ulong Data = TestMachine.DataBase;

    private static TestMachine Long(ulong cr0Extra = CpuCore.Cr0Ne | CpuCore.Cr0Mp)
    {
        var m = TestMachine.LongMode();
        m.Cpu.Cr0 |= cr0Extra;
        return m;
    }

    private static ushort Word(TestMachine m, ulong a) => (ushort)m.Memory.Read(a, 2);

    private static uint Dword(TestMachine m, ulong a) => (uint)m.Memory.Read(a, 4);

    [Fact]
    public void Reset_loads_fcw_0040_with_zero_tagged_registers_and_init_keeps_the_x87_state()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.Reset();
        Assert.Equal(0x0040, c.Fcw);
        Assert.Equal(0x5555, c.Ftw);
        Assert.Equal(0, c.Fsw);
        c.Fcw = 0x027F;
        c.FpuRegisters[3] = Float80.One;
        c.Init();
        Assert.Equal(0x027F, c.Fcw);
        Assert.Equal(Float80.One, c.FpuRegisters[3]);
    }

    [Fact]
    public void Linux_setup_fpu_probe_sees_fninit_state_in_real_mode()
    {
        // arch/x86/boot/cpucheck.c has_fpu(): FNINIT, FNSTSW, FNSTCW; an FPU shows FSW low byte 0 and FCW & 103Fh = 3Fh.
        using var m = TestMachine.RealMode();
        m.Cpu.Cr0 &= ~(CpuCore.Cr0Em | CpuCore.Cr0Ts);
        m.Memory.Write(0x500, 2, 0xFFFF);
        m.Memory.Write(0x502, 2, 0xFFFF);
        m.Load(a =>
        {
            a.fninit();
            a.fnstsw(__word_ptr[0x500]);
            a.fnstcw(__word_ptr[0x502]);
            a.hlt();
        });
        m.Run(10);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(0, Word(m, 0x500));
        Assert.Equal(0x037F, Word(m, 0x502));
    }

    [Fact]
    public void Stack_overflow_and_underflow_raise_ie_with_sf_and_c1_telling_which()
    {
        using var m = Long();
        m.Load(a =>
        {
            a.fninit();
            for (int i = 0; i < 9; i++) a.fld1(); // the ninth push overflows
            a.fnstsw(ax);
            a.fninit();
            a.fadd(st0, st1); // both empty
            a.fnstsw(__word_ptr[rbx]);
            a.hlt();
        });
        m.Cpu.R[Reg.RBX] = Data;
        m.Run(100);
        ushort over = (ushort)m.Cpu.R[Reg.RAX];
        Assert.Equal(X87Sw.IE | X87Sw.SF | X87Sw.C1, over & (X87Sw.Exceptions | X87Sw.SF | X87Sw.C1));
        ushort under = Word(m, Data);
        Assert.Equal(X87Sw.IE | X87Sw.SF, under & (X87Sw.Exceptions | X87Sw.SF | X87Sw.C1));
        Assert.Equal(Float80.Indefinite, m.Cpu.St(0)); // the masked response
    }

    [Fact]
    public void Fnstenv_in_64_bit_mode_stores_the_32_bit_protected_layout_and_masks_exceptions()
    {
        using var m = Long();
        ulong fldAddress = 0;
        m.Load(a =>
        {
            a.fninit();
            a.fld(__qword_ptr[rbx + 8]);
            var label = a.CreateLabel();
            a.Label(ref label);
            a.fld1(); // the last non-control instruction: D9 E8
            a.fnstenv(__[rdi]);
            a.fnstcw(__word_ptr[rdi + 64]);
            a.hlt();
        });
        // fninit (2 bytes), fld qword [rbx+8] (3 bytes): FLD1 sits at CodeBase + 5.
        fldAddress = TestMachine.CodeBase + 5;
        m.Memory.Write(Data + 8, 8, 0x3FF0_0000_0000_0000);
        m.Cpu.R[Reg.RBX] = Data;
        m.Cpu.R[Reg.RDI] = Data + 0x100;
        m.Run(100);
        ulong env = Data + 0x100;
        Assert.Equal(0xFFFF_037Fu, Dword(m, env));
        Assert.Equal(0x3000u, Dword(m, env + 4) & 0xFFFF);       // TOP = 6
        Assert.Equal(0xFFFF_0FFFu, Dword(m, env + 8));            // ST0, ST1 valid; the rest empty
        Assert.Equal((uint)fldAddress, Dword(m, env + 12));       // FPU IP
        Assert.Equal(0x10u | 0x1E8u << 16, Dword(m, env + 16));   // CS selector and opcode D9 E8
        Assert.Equal((uint)(Data + 8), Dword(m, env + 20));       // FPU DP of the FLD m64
        Assert.Equal(0xFFFF_0018u, Dword(m, env + 24));           // DS selector
        Assert.Equal(0x037F, Word(m, env + 64));                  // all exceptions masked (already were)
    }

    [Fact]
    public void Fnstenv_in_real_mode_stores_linear_pointers_in_the_16_and_32_bit_layouts()
    {
        using var m = TestMachine.RealMode();
        m.Cpu.Cr0 &= ~(CpuCore.Cr0Em | CpuCore.Cr0Ts);
        m.Load(a =>
        {
            a.fninit();          // 7C00
            a.fld1();            // 7C02: D9 E8
            a.fnstenv(__[0x600]);  // 16-bit layout
            a.db(0x66, 0xD9, 0x36, 0x00, 0x07); // o32 fnstenv [0x700]: 32-bit real-mode layout
            a.hlt();
        });
        m.Run(10);
        Assert.Equal(0x037F, Word(m, 0x600));
        Assert.Equal(0x7C02, Word(m, 0x606));                     // IP[15:0]
        Assert.Equal(0x01E8, Word(m, 0x608));                     // IP[19:16] << 12 | opcode
        Assert.Equal(0x037Fu, Dword(m, 0x700) & 0xFFFF);
        Assert.Equal(0x7C02u, Dword(m, 0x70C) & 0xFFFF);
        Assert.Equal(0x01E8u, Dword(m, 0x710));                   // IP[31:16] << 12 | opcode
    }

    [Fact]
    public void Fnstenv_and_fldenv_in_32_bit_protected_mode_round_trip_with_selectors()
    {
        using var m = TestMachine.Protected32();
        m.Memory.Write(0x500, 2, 0x0A7F); // round up, 53 bits
        m.Load(a =>
        {
            a.fninit();
            a.fldcw(__word_ptr[0x500]);
            a.fld1();
            a.fnstenv(__[0x600]);
            a.fninit();
            a.fldenv(__[0x600]);
            a.fnstcw(__word_ptr[0x502]);
            a.hlt();
        });
        m.Run(20);
        Assert.Equal(0xFFFF_0A7Fu, Dword(m, 0x600));
        Assert.Equal(0x08u | 0x1E8u << 16, Dword(m, 0x610));     // CS selector 08h, opcode D9 E8
        Assert.Equal(0x0A7F, Word(m, 0x502));                    // FLDENV brought the control word back
        Assert.Equal(7, m.Cpu.FpuTop);
        Assert.False(m.Cpu.FpuIsEmpty(0));
        Assert.Equal(Float80.One, m.Cpu.St(0));
    }

    [Fact]
    public void Fnstenv_in_16_bit_protected_mode_stores_selectors_and_offsets()
    {
        using var m = TestMachine.Protected32();
        m.Cpu.Segs[Seg.CS] = new SegmentRegister { Selector = 0x20, Base = 0, Limit = 0xFFFF, Attributes = 0x009B };
        m.Cpu.Rip = 0x7C00;
        m.Cpu.UpdateMode();
        m.Load(a =>
        {
            a.fninit();
            a.fld1();
            a.fnstenv(__[0x600]);
            a.hlt();
        });
        m.Run(10);
        Assert.Equal(0x7C02, Word(m, 0x606));
        Assert.Equal(0x20, Word(m, 0x608));                       // CS selector
    }

    [Fact]
    public void Fnsave_stores_state_and_reinitializes_and_frstor_brings_it_back()
    {
        using var m = Long();
        m.Load(a =>
        {
            a.fninit();
            a.fldpi();
            a.fld1();
            a.fnsave(__[rdi]);
            a.fnstcw(__word_ptr[rbx]);
            a.fnstsw(__word_ptr[rbx + 2]);
            a.frstor(__[rdi]);
            a.fstp(__tword_ptr[rbx + 16]);
            a.fstp(__tword_ptr[rbx + 32]);
            a.hlt();
        });
        m.Cpu.R[Reg.RBX] = Data;
        m.Cpu.R[Reg.RDI] = Data + 0x100;
        m.Run(100);
        ulong save = Data + 0x100;
        Assert.Equal(0xFFFF_037Fu, Dword(m, save));
        Assert.Equal(0x8000_0000_0000_0000UL, m.Memory.Read(save + 28, 8));   // ST0 = 1.0 first
        Assert.Equal(0x3FFF, Word(m, save + 36));
        Assert.Equal(0xC90F_DAA2_2168_C235UL, m.Memory.Read(save + 38, 8));   // ST1 = π
        Assert.Equal(0x037F, Word(m, Data));                                  // FNINIT after the save
        Assert.Equal(0, Word(m, Data + 2));
        Assert.Equal(0x8000_0000_0000_0000UL, m.Memory.Read(Data + 16, 8));   // restored 1.0
        Assert.Equal(0xC90F_DAA2_2168_C235UL, m.Memory.Read(Data + 32, 8));   // restored π
    }

    [Fact]
    public void Fsave_16_bit_layout_is_94_bytes_with_registers_after_14()
    {
        using var m = TestMachine.RealMode();
        m.Cpu.Cr0 &= ~(CpuCore.Cr0Em | CpuCore.Cr0Ts);
        m.Load(a =>
        {
            a.fninit();
            a.fld1();
            a.fnsave(__[0x600]);
            a.hlt();
        });
        m.Run(10);
        Assert.Equal(0x037F, Word(m, 0x600));
        Assert.Equal(0x3FFF, Word(m, 0x600 + 14 + 8)); // ST0 at offset 14
        Assert.Equal(0x3FFF, Word(m, 0x600 + 14 + 8));
    }

    [Theory]
    [InlineData(CpuCore.Cr0Ts, true, false)]
    [InlineData(CpuCore.Cr0Em, true, false)]
    [InlineData(CpuCore.Cr0Ts | CpuCore.Cr0Mp, true, true)]
    [InlineData(CpuCore.Cr0Em | CpuCore.Cr0Mp, true, false)]
    [InlineData(CpuCore.Cr0Mp, false, false)]
    public void Em_ts_and_mp_decide_device_not_available(ulong cr0, bool fpuFaults, bool waitFaults)
    {
        // SDM Vol. 3A Table 2-2: x87 instructions fault on EM or TS; WAIT only on MP and TS together.
        using var m = TestMachine.LongMode();
        m.Cpu.Cr0 |= cr0;
        m.Load(a =>
        {
            a.wait();
            a.fld1();
            a.hlt();
        });
        m.Cpu.FirstFault = null;
        m.Run(10);
        int? expectedAt = waitFaults ? 0 : fpuFaults ? 1 : null;
        if (expectedAt is null)
        {
            Assert.Null(m.Cpu.FirstFault);
            Assert.Equal(RunState.Halted, m.Cpu.State);
        }
        else Assert.Equal(Vector.NM, m.Cpu.FirstFault!.Value.Vector);
    }

    [Fact]
    public void Pending_unmasked_exception_raises_mf_at_the_next_waiting_instruction_only()
    {
        using var m = Long();
        m.Memory.Write(Data, 2, 0x037F & ~X87Sw.ZE);
        m.Load(a =>
        {
            a.fninit();
            a.fldcw(__word_ptr[rbx]);
            a.fldz();
            a.fld1();
            a.fdiv(st0, st1);        // 1/0 with ZE unmasked: ES set, no trap yet
            a.fnstsw(ax);            // non-waiting: no trap
            a.fld1();                // waiting: #MF here
            a.hlt();
        });
        m.Cpu.R[Reg.RBX] = Data;
        m.Cpu.FirstFault = null;
        m.Run(20);
        Assert.Equal(X87Sw.ZE | X87Sw.ES | X87Sw.B, (int)m.Cpu.R[Reg.RAX] & (X87Sw.Exceptions | X87Sw.ES | X87Sw.B));
        Assert.Equal(Float80.One, m.Cpu.St(0)); // the unmasked ZE left the destination alone
        Assert.Equal(Vector.MF, m.Cpu.FirstFault!.Value.Vector);
    }

    [Fact]
    public void Without_ne_a_pending_exception_asserts_ferr_and_freezes_until_ignne()
    {
        using var m = Long(cr0Extra: CpuCore.Cr0Mp); // NE = 0: MS-DOS compatibility mode
        m.Memory.Write(Data, 2, 0x037F & ~X87Sw.ZE);
        var ferr = new List<bool>();
        m.Cpu.FerrChanged += ferr.Add;
        m.Load(a =>
        {
            a.fninit();
            a.fldcw(__word_ptr[rbx]);
            a.fldz();
            a.fld1();
            a.fdiv(st0, st1);
            a.fld1();                // waiting: FERR#, freeze
            a.fnclex();
            a.hlt();
        });
        m.Cpu.R[Reg.RBX] = Data;
        m.Run(20);
        Assert.Equal([true], ferr);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        ulong frozenAt = m.Cpu.Rip;
        Assert.Equal(0xD9UL, m.Memory.Read(frozenAt, 1)); // still at the FLD1

        // The IRQ 13 handler's OUT F0h asserts IGNNE#: the instruction then runs, FNCLEX drops FERR#.
        m.Cpu.Ignne = true;
        m.Cpu.State = RunState.Running;
        m.Run(20);
        Assert.Equal([true, false], ferr);
        Assert.False(m.Cpu.Ignne);
        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.True(m.Cpu.Rip > frozenAt);
    }

    [Fact]
    public void Coprocessor_error_latch_drives_irq13_until_port_f0_and_answers_with_ignne()
    {
        var platform = new PcPlatform(1, 16 << 20, _ => { });
        bool ignne = false;
        platform.CoprocessorError.IgnneChanged += level => ignne = level;
        platform.CoprocessorError.SetFerr(true);
        Assert.True(platform.CoprocessorError.Latched);
        Assert.NotEqual(0, platform.Pic.SlaveIrr & (1 << 5)); // IRQ 13 = slave input 5
        platform.Ports.Out(CoprocessorError.Port, 1, 0);
        Assert.False(platform.CoprocessorError.Latched);
        Assert.True(ignne);
        platform.CoprocessorError.SetFerr(false);
        platform.Ports.Out(CoprocessorError.Port, 1, 0);
        Assert.False(platform.CoprocessorError.Latched);
    }

    [Fact]
    public void Fcomi_sets_eflags_and_fcmov_moves_on_them()
    {
        using var m = Long();
        m.Load(a =>
        {
            a.fninit();
            a.fld1();
            a.fldz();
            a.fcomi(st0, st1);   // 0 < 1: CF = 1
            a.fcmovb(st0, st1);  // taken: ST0 = 1
            a.fistp(__dword_ptr[rbx]);
            a.hlt();
        });
        m.Cpu.R[Reg.RBX] = Data;
        m.Run(20);
        Assert.True(m.Cpu.GetCF());
        Assert.False(m.Cpu.GetZF());
        Assert.Equal(1u, Dword(m, Data));
    }

    [Fact]
    public void Fbstp_and_fbld_round_trip_packed_bcd_in_the_current_rounding_mode()
    {
        using var m = Long();
        m.Memory.Write(Data, 8, 0x4000_0000_0000_0000); // 2.0 as a double
        m.Memory.Write(Data + 8, 2, 0x0C7F);           // round toward zero
        m.Load(a =>
        {
            a.fninit();
            a.fldpi();
            a.fmul(__qword_ptr[rbx]);   // 2π = 6.28…
            a.fbstp(__tword_ptr[rbx + 16]);
            a.fldcw(__word_ptr[rbx + 8]);
            a.fldpi();
            a.fmul(__qword_ptr[rbx]);
            a.fbstp(__tword_ptr[rbx + 32]);
            a.fbld(__tword_ptr[rbx + 16]);
            a.fistp(__dword_ptr[rbx + 48]);
            a.hlt();
        });
        m.Cpu.R[Reg.RBX] = Data;
        m.Run(20);
        Assert.Equal(6UL, m.Memory.Read(Data + 16, 8)); // nearest
        Assert.Equal(6UL, m.Memory.Read(Data + 32, 8)); // toward zero
        Assert.Equal(6u, Dword(m, Data + 48));
    }

    [Fact]
    public void Hot_x87_loop_gives_the_same_result_compiled_and_interpreted()
    {
        (ulong, ushort, ushort) RunLoop(bool compile)
        {
            using var m = Long();
            m.Cpu.CompileHotBlocks = compile;
            m.Memory.Write(Data, 8, 0x3FB9_9999_9999_999A); // 0.1
            m.Load(a =>
            {
                var loop = a.CreateLabel();
                a.fninit();
                a.fldz();
                a.mov(ecx, 2000);
                a.Label(ref loop);
                a.fadd(__qword_ptr[rbx]);
                a.fld(st0);
                a.fsqrt();
                a.fcomip(st0, st1);
                a.dec(ecx);
                a.jnz(loop);
                a.fstp(__tword_ptr[rbx + 16]);
                a.fnstsw(__word_ptr[rbx + 32]);
                a.hlt();
            });
            m.Cpu.R[Reg.RBX] = Data;
            m.Run(100_000);
            Assert.Equal(RunState.Halted, m.Cpu.State);
            if (compile) Assert.True(m.Cpu.BlocksCompiled > 0);
            return (m.Memory.Read(Data + 16, 8), Word(m, Data + 24), Word(m, Data + 32));
        }

        var compiled = RunLoop(true);
        Assert.Equal(RunLoop(false), compiled);
        Assert.Equal((ushort)0x4006, compiled.Item2); // about 200 = 1.5625 × 2^7
    }

    [Fact]
    public void Fstp1_alias_is_fstp_and_fcomi_clears_c1_as_the_sdm_says()
    {
        // D9 D8+i is an alias of FSTP ST(i) on Intel processors (AMD documents it as FSTPNCE, which the host
        // differential cannot cover); FCOMI sets C1 = 0 (SDM Vol. 2A FCOMI; AMD keeps C1, so only this test checks it).
        using var m = Long();
        m.Load(a =>
        {
            a.fninit();
            a.fld1();
            a.fldpi();
            a.db(0xD9, 0xD9);      // fstp1 st(1): ST1 ← π, pop
            a.fld1();
            a.fld1();
            a.fadd(st0, st0);
            a.fchs();              // ST0 = −2, ST1 = 1
            a.fxam();              // C1 = 1: the sign
            a.fnstsw(__word_ptr[rbx]);
            a.fcomi(st0, st1);     // −2 < 1
            a.fnstsw(ax);
            a.hlt();
        });
        m.Cpu.R[Reg.RBX] = Data;
        m.Run(30);
        Assert.Equal(X87Sw.C1, Word(m, Data) & X87Sw.C1);
        Assert.Equal(0, (int)m.Cpu.R[Reg.RAX] & X87Sw.C1);
        Assert.Equal(new Float80(0xC90F_DAA2_2168_C235, 0x4000), m.Cpu.St(2)); // the alias stored π and popped
        Assert.True(m.Cpu.GetCF());
        Assert.False(m.Cpu.GetZF());
    }
}
