using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Simd;
using Smp.Devices.Tests.Cpu.SystemControl;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Simd;

public class SseFaultTests
{
    [Fact]
    public void Sse_instruction_without_CR4_OSFXSR_is_UD()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { a.addps(xmm0, xmm1); a.hlt(); });
        Assert.Equal((Vector.UD, 0u), SimdRig.Fault(m));
    }

    [Fact]
    public void Sse_instruction_with_CR0_EM_is_UD_even_when_TS_is_set()
    {
        using var m = SimdRig.LongMode();
        m.Cpu.Cr0 |= CpuCore.Cr0Em | CpuCore.Cr0Ts;
        m.Load(a => { a.pxor(xmm0, xmm1); a.hlt(); });
        Assert.Equal((Vector.UD, 0u), SimdRig.Fault(m));
    }

    [Fact]
    public void Sse_instruction_with_CR0_TS_is_NM()
    {
        using var m = SimdRig.LongMode();
        m.Cpu.Cr0 |= CpuCore.Cr0Ts;
        m.Load(a => { a.movaps(xmm0, xmm1); a.hlt(); });
        Assert.Equal((Vector.NM, 0u), SimdRig.Fault(m));
    }

    [Fact]
    public void Misaligned_operand_of_an_aligned_form_is_GP0_and_unaligned_forms_accept_it()
    {
        using var m = SimdRig.LongMode();
        m.Memory.Write(SimdRig.Data + 1, 8, 0x1122_3344_5566_7788);
        m.Load(a => { a.mov(rax, (long)SimdRig.Data + 1); a.movups(xmm1, __[rax]); a.movaps(xmm2, __[rax]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(0x1122_3344_5566_7788UL, m.Cpu.Xmm[2]);   // MOVUPS completed
        Assert.Equal(0UL, m.Cpu.Xmm[4]);                       // MOVAPS did not
    }

    [Fact]
    public void Misaligned_scalar_operand_at_CPL3_with_alignment_checking_is_AC0()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        c.Cr0 |= CpuCore.Cr0Am;
        c.SetRflags(c.GetRflags() | Rflags.AC);
        SystemTestKit.EnterUserMode(c);
        m.Load(a => { a.mov(rax, (long)SimdRig.Data + 2); a.movss(xmm1, __dword_ptr[rax]); a.hlt(); });
        Assert.Equal((Vector.AC, 0u), SimdRig.Fault(m));
    }

    [Fact]
    public void Unmasked_exception_raises_XM_with_the_flags_set_and_the_destination_unchanged()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        c.Mxcsr = Mxcsr.Default & ~Mxcsr.ZM;             // divide-by-zero unmasked
        SimdRig.SetSingles(c, 0, 1, 1, 1, 1);
        SimdRig.SetSingles(c, 1, 3, 0, 1, 1);             // lane 0 inexact (1/3), lane 1 divides by zero
        m.Load(a => { a.divps(xmm0, xmm1); a.hlt(); });
        Assert.Equal((Vector.XM, 0u), SimdRig.Fault(m));
        // Only the pre-computation flags are reported when one of them is unmasked (SDM Vol. 1 §11.5.3).
        Assert.Equal(Mxcsr.ZE, c.Mxcsr & Mxcsr.Flags);
        Assert.Equal(SimdRig.Bits(1f), SimdRig.Single(c, 0, 0));
    }

    [Fact]
    public void Unmasked_post_computation_exception_reports_every_flag_detected()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        c.Mxcsr = Mxcsr.Default & ~Mxcsr.PM;             // precision unmasked
        SimdRig.SetSingles(c, 0, 1, float.MaxValue);
        SimdRig.SetSingles(c, 1, 3, float.MaxValue);      // lane 0 exact; lane 1 overflows (masked), which is inexact
        m.Load(a => { a.mulps(xmm0, xmm1); a.hlt(); });
        Assert.Equal((Vector.XM, 0u), SimdRig.Fault(m));
        Assert.Equal(Mxcsr.PE | Mxcsr.OE, c.Mxcsr & Mxcsr.Flags);
        Assert.Equal(SimdRig.Bits(1f), SimdRig.Single(c, 0, 0));
    }

    [Fact]
    public void Unmasked_exception_without_CR4_OSXMMEXCPT_is_UD()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        c.Cr4 &= ~CpuCore.Cr4Osxmmexcpt;
        c.Mxcsr = Mxcsr.Default & ~Mxcsr.IM;
        SimdRig.SetXmm(c, 1, 0x7F80_0001);               // an SNaN
        m.Load(a => { a.addss(xmm0, xmm1); a.hlt(); });
        Assert.Equal((Vector.UD, 0u), SimdRig.Fault(m));
        Assert.Equal(Mxcsr.IE, c.Mxcsr & Mxcsr.Flags);
    }

    [Fact]
    public void Ldmxcsr_with_a_reserved_bit_is_GP0_and_loads_nothing()
    {
        using var m = SimdRig.LongMode();
        m.Memory.Write(SimdRig.Data, 4, 0x1_0000);
        m.Load(a => { a.mov(rax, (long)SimdRig.Data); a.ldmxcsr(__dword_ptr[rax]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(Mxcsr.Default, m.Cpu.Mxcsr);
    }

    [Fact]
    public void Ldmxcsr_accepts_DAZ_and_stmxcsr_stores_it_back()
    {
        using var m = SimdRig.LongMode();
        m.Memory.Write(SimdRig.Data, 4, 0xFFFF);
        m.Load(a =>
        {
            a.mov(rax, (long)SimdRig.Data);
            a.ldmxcsr(__dword_ptr[rax]);
            a.stmxcsr(__dword_ptr[rax + 4]);
            a.hlt();
        });
        SimdRig.Run(m);
        Assert.Equal(0xFFFFu, m.Cpu.Mxcsr);
        Assert.Equal(0xFFFFUL, m.Memory.Read(SimdRig.Data + 4, 4));
    }

    [Fact]
    public void Loading_an_unmasked_flag_does_not_fault_until_an_instruction_detects_an_exception()
    {
        using var m = SimdRig.LongMode();
        m.Memory.Write(SimdRig.Data, 4, (Mxcsr.Default & ~Mxcsr.PM) | Mxcsr.PE);
        SimdRig.SetSingles(m.Cpu, 1, 2);
        SimdRig.SetSingles(m.Cpu, 2, 3);
        m.Load(a =>
        {
            a.mov(rax, (long)SimdRig.Data);
            a.ldmxcsr(__dword_ptr[rax]);
            a.addss(xmm0, xmm1);        // exact: no exception
            a.divss(xmm1, xmm2);        // inexact: #XM
            a.hlt();
        });
        Assert.Equal((Vector.XM, 0u), SimdRig.Fault(m));
        Assert.Equal(SimdRig.Bits(2f), SimdRig.Single(m.Cpu, 0, 0));
    }
}
