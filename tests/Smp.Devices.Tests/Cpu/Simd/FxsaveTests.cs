using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Fpu;
using Smp.Devices.Cpu.Simd;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Simd;

public class FxsaveTests
{
    private static void SetX87State(CpuCore c)
    {
        c.Fcw = 0x027F;
        c.Fsw = 0x3000 | 0x0001;                          // TOP = 6, IE
        c.Ftw = 0xFFFF & ~(3 << 12) & ~(3 << 14);         // R6 and R7 non-empty
        c.FpuRegisters[6] = new Float80(0x8000_0000_0000_0000, 0x3FFF);   // 1.0 (ST0)
        c.FpuRegisters[7] = new Float80(0, 0);                            // +0 (ST1)
        c.Ftw = (ushort)((c.Ftw & ~(0xF << 12)) | (0 << 12) | (1 << 14));
        c.Fop = 0x1D9;
        c.FpuIp = 0x1234_5678_9ABC;
        c.FpuDp = 0xFEDC_BA98_7654;
        c.FpuCs = 0x10;
        c.FpuDs = 0x18;
    }

    [Fact]
    public void Fxsave64_stores_the_64_bit_layout()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        SetX87State(c);
        c.Mxcsr = 0x1FA0;
        for (int n = 0; n < 16; n++) SimdRig.SetXmm(c, n, 0x1111_1111_0000_0000UL * (ulong)(n + 1), (ulong)n);
        m.Memory.Write(SimdRig.Data + 464, 8, 0xAAAA_AAAA_AAAA_AAAA);
        m.Load(a => { a.mov(rax, (long)SimdRig.Data); a.fxsave64(__[rax]); a.hlt(); });
        SimdRig.Run(m);
        var mem = m.Memory;
        ulong d = SimdRig.Data;
        Assert.Equal(0x027FUL, mem.Read(d, 2));
        Assert.Equal(0x3001UL, mem.Read(d + 2, 2));
        Assert.Equal(0xC0UL, mem.Read(d + 4, 1));                  // abridged tags: R6, R7 valid
        Assert.Equal(0x1D9UL, mem.Read(d + 6, 2));
        Assert.Equal(0x1234_5678_9ABCUL, mem.Read(d + 8, 8));      // 64-bit FPU IP
        Assert.Equal(0xFEDC_BA98_7654UL, mem.Read(d + 16, 8));     // 64-bit FPU DP
        Assert.Equal(0x1FA0UL, mem.Read(d + 24, 4));
        Assert.Equal(0xFFFFUL, mem.Read(d + 28, 4));              // MXCSR_MASK: DAZ supported
        Assert.Equal(0x8000_0000_0000_0000UL, mem.Read(d + 32, 8)); // ST0 = R6 (stack order)
        Assert.Equal(0x3FFFUL, mem.Read(d + 40, 8));                // exponent, then zeroed reserved bytes
        Assert.Equal(c.Xmm[30], mem.Read(d + 160 + 15 * 16, 8));    // XMM15
        Assert.Equal(0xAAAA_AAAA_AAAA_AAAAUL, mem.Read(d + 464, 8)); // bytes 464–511 belong to software
    }

    [Fact]
    public void Fxsave_in_32_bit_mode_stores_selectors_and_only_xmm0_to_xmm7()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.Cr4 |= CpuCore.Cr4Osfxsr;
        SetX87State(c);
        for (int n = 0; n < 16; n++) SimdRig.SetXmm(c, n, (ulong)n + 1, 0);
        m.Memory.Write(SimdRig.Data + 288, 8, 0x5555);
        m.Load(a => { a.mov(eax, (uint)SimdRig.Data); a.fxsave(__[eax]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0x9ABCUL + (0x5678UL << 16), m.Memory.Read(SimdRig.Data + 8, 4));   // FIP[31:0]
        Assert.Equal(0x10UL, m.Memory.Read(SimdRig.Data + 12, 4));                        // FCS, reserved 0
        Assert.Equal(0x18UL, m.Memory.Read(SimdRig.Data + 20, 4));                        // FDS
        Assert.Equal(8UL, m.Memory.Read(SimdRig.Data + 160 + 7 * 16, 8));                // XMM7
        Assert.Equal(0x5555UL, m.Memory.Read(SimdRig.Data + 288, 8));                     // XMM8 slot untouched
    }

    [Fact]
    public void Fxsave_without_CR4_OSFXSR_leaves_the_xmm_area_alone()
    {
        using var m = TestMachine.LongMode();
        SimdRig.SetXmm(m.Cpu, 0, 0x1234);
        m.Memory.Write(SimdRig.Data + 160, 8, 0x7777);
        m.Load(a => { a.mov(rax, (long)SimdRig.Data); a.fxsave64(__[rax]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0x7777UL, m.Memory.Read(SimdRig.Data + 160, 8));
        Assert.Equal(0x1F80UL, m.Memory.Read(SimdRig.Data + 24, 4));
    }

    [Fact]
    public void Fxrstor_round_trip_restores_every_field_and_rebuilds_the_full_tag_word()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        SetX87State(c);
        c.Mxcsr = 0x9FC0;
        for (int n = 0; n < 16; n++) SimdRig.SetXmm(c, n, (ulong)n * 3 + 1, ~(ulong)n);
        var before = c.SaveState();
        m.Load(a =>
        {
            a.mov(rax, (long)SimdRig.Data);
            a.fxsave64(__[rax]);
            a.fninit();
            a.pxor(xmm3, xmm3);
            a.fxrstor64(__[rax]);
            a.hlt();
        });
        SimdRig.Run(m);
        Assert.Equal((ushort)(0xFFFF & ~(0xF << 12) | (1 << 14)), c.Ftw);   // R6 valid (00), R7 zero (01)
        Assert.Equal(before.ExtendedState, c.SaveState().ExtendedState);
        Assert.Equal((4UL * 3 - 2, ~3UL), SimdRig.Xmm(c, 3));
    }

    [Fact]
    public void Fxrstor_with_reserved_mxcsr_bits_is_GP0_and_changes_nothing()
    {
        using var m = SimdRig.LongMode();
        m.Memory.Write(SimdRig.Data + 24, 4, 0x2_1F80);
        m.Memory.Write(SimdRig.Data + 160, 8, 0x99);
        m.Load(a => { a.mov(rax, (long)SimdRig.Data); a.fxrstor64(__[rax]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(Mxcsr.Default, m.Cpu.Mxcsr);
        Assert.Equal(0UL, m.Cpu.Xmm[0]);
    }

    [Theory]
    [InlineData(CpuCore.Cr0Ts, Vector.NM)]
    [InlineData(CpuCore.Cr0Em, Vector.NM)]
    public void Fxsave_with_TS_or_EM_is_NM(ulong cr0, int vector)
    {
        using var m = SimdRig.LongMode();
        m.Cpu.Cr0 |= cr0;
        m.Load(a => { a.mov(rax, (long)SimdRig.Data); a.fxsave64(__[rax]); a.hlt(); });
        Assert.Equal((vector, 0u), SimdRig.Fault(m));
    }

    [Fact]
    public void Fxsave_to_a_misaligned_area_is_GP0()
    {
        using var m = SimdRig.LongMode();
        m.Load(a => { a.mov(rax, (long)SimdRig.Data + 8); a.fxsave64(__[rax]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
    }

    [Fact]
    public void Fxsave_that_faults_on_its_second_page_writes_nothing()
    {
        using var m = SimdRig.LongMode();
        ulong area = SimdRig.Data + 0x1000 - 0x100;
        m.SplitLargePage(SimdRig.Data);
        m.SetPagePresent(SimdRig.Data + 0x1000, false);
        m.Memory.Write(area, 8, 0x4242);
        m.Load(a => { a.mov(rax, (long)area); a.fxsave64(__[rax]); a.hlt(); });
        Assert.Equal(Vector.PF, SimdRig.Fault(m).Vector);
        Assert.Equal(0x4242UL, m.Memory.Read(area, 8));
    }
}
