using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Simd;

public class MmxTests
{
    [Fact]
    public void Mmx_registers_alias_the_x87_significands_and_switch_the_unit_to_MMX_state()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        c.Fsw = 5 << 11;                      // TOP = 5
        m.Load(a => { a.mov(rax, 0x1122_3344_5566_7788L); a.movq(mm2, rax); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0x1122_3344_5566_7788UL, c.FpuRegisters[2].Significand);
        Assert.Equal(0xFFFF, c.FpuRegisters[2].SignExponent);   // sign and exponent set to ones
        Assert.Equal(0, (c.Fsw >> 11) & 7);                     // TOP = 0
        Assert.Equal(0, c.Ftw);                                 // every register valid
    }

    [Fact]
    public void Emms_empties_every_register()
    {
        using var m = SimdRig.LongMode();
        m.Load(a => { a.pxor(mm0, mm0); a.emms(); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0xFFFF, m.Cpu.Ftw);
    }

    [Fact]
    public void Mmx_does_not_need_CR4_OSFXSR_but_CR0_EM_is_UD_and_TS_is_NM()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { a.paddb(mm0, mm1); a.hlt(); });
        SimdRig.Run(m);
        using var em = TestMachine.LongMode();
        em.Cpu.Cr0 |= CpuCore.Cr0Em;
        em.Load(a => { a.paddb(mm0, mm1); a.hlt(); });
        Assert.Equal((Vector.UD, 0u), SimdRig.Fault(em));
        using var ts = TestMachine.LongMode();
        ts.Cpu.Cr0 |= CpuCore.Cr0Ts;
        ts.Load(a => { a.emms(); a.hlt(); });
        Assert.Equal((Vector.NM, 0u), SimdRig.Fault(ts));
    }

    [Fact]
    public void A_pending_x87_exception_is_MF_before_an_MMX_instruction_with_CR0_NE()
    {
        using var m = SimdRig.LongMode();
        m.Cpu.Cr0 |= CpuCore.Cr0Ne;
        m.Cpu.Fcw = 0x037E;                   // IM unmasked
        m.Cpu.Fsw = 0x0081;                   // IE with ES: pending
        m.Load(a => { a.movq(mm0, mm1); a.hlt(); });
        Assert.Equal((Vector.MF, 0u), SimdRig.Fault(m));
        Assert.Equal(0x0081, m.Cpu.Fsw);
    }

    [Fact]
    public void Cvtpi2ps_from_memory_keeps_the_x87_state_but_from_a_register_switches_to_MMX()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        c.Ftw = 0xFFFF;
        m.Memory.Write(SimdRig.Data, 8, 0x0000_0002_FFFF_FFFF);
        m.Load(a => { a.mov(rax, (long)SimdRig.Data); a.cvtpi2ps(xmm0, __qword_ptr[rax]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0xFFFF, c.Ftw);
        Assert.Equal(SimdRig.Bits(-1f), SimdRig.Single(c, 0, 0));
        Assert.Equal(SimdRig.Bits(2f), SimdRig.Single(c, 0, 1));
    }
}
