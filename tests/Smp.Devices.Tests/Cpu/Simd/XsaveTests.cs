using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Simd;
using Smp.Devices.Tests.Cpu.SystemControl;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Simd;

public class XsaveTests
{
    private const ulong Area = SimdRig.Data;
    private const ulong Header = Area + 512;

    private static TestMachine Machine(ulong xcr0 = 3)
    {
        var m = SimdRig.LongMode();
        m.Cpu.Xcr0 = xcr0;
        m.Cpu.FpuInit();
        return m;
    }

    [Fact]
    public void Cpuid_leaf_0D_reports_x87_and_sse_in_a_576_byte_area_and_the_extensions()
    {
        Cpuid.Query(TestMachine.LongMode().Cpu, 0xD, 0, out uint a, out uint b, out uint c, out uint d);
        Assert.Equal((3u, 576u, 576u, 0u), (a, b, c, d));
        Cpuid.Query(TestMachine.LongMode().Cpu, 0xD, 1, out a, out b, out c, out d);
        Assert.Equal((7u, 576u, 0u, 0u), (a, b, c, d));       // XSAVEOPT, XSAVEC, XGETBV ECX=1; no XSAVES
        Cpuid.Query(TestMachine.LongMode().Cpu, 0xD, 2, out a, out b, out c, out d);
        Assert.Equal((0u, 0u, 0u, 0u), (a, b, c, d));         // no AVX
    }

    [Fact]
    public void Cpuid_osxsave_mirrors_CR4_OSXSAVE()
    {
        using var m = SimdRig.LongMode(osxsave: false);
        Cpuid.Query(m.Cpu, 1, 0, out _, out _, out uint ecx, out _);
        Assert.Equal(0u, ecx & Cpuid.EcxOsxsave);
        Assert.True(m.Cpu.TryWriteCr4(m.Cpu.Cr4 | CpuCore.Cr4Osxsave));
        Cpuid.Query(m.Cpu, 1, 0, out _, out _, out ecx, out _);
        Assert.Equal(Cpuid.EcxOsxsave, ecx & Cpuid.EcxOsxsave);
    }

    [Fact]
    public void Xsetbv_and_xgetbv_follow_the_gp_rules()
    {
        using var m = Machine(1);
        m.Load(a =>
        {
            a.xor(ecx, ecx);
            a.xor(edx, edx);
            a.mov(eax, 3);
            a.xsetbv();
            a.xgetbv();
            a.mov(r8, rax);
            a.mov(eax, 2);              // SSE without x87: #GP
            a.xsetbv();
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(3UL, m.Cpu.Xcr0);
        Assert.Equal(3UL, m.Cpu.R[Reg.R8]);
    }

    [Theory]
    [InlineData(0u, 7u, 0u)]       // AVX is not supported
    [InlineData(1u, 3u, 0u)]       // XCR1 does not exist
    [InlineData(0u, 3u, 1u)]       // bit 32
    public void Xsetbv_rejects_unsupported_values(uint xcr, uint low, uint high)
    {
        using var m = Machine(1);
        m.Load(a => { a.mov(ecx, xcr); a.mov(eax, low); a.mov(edx, high); a.xsetbv(); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(1UL, m.Cpu.Xcr0);
    }

    [Fact]
    public void Xsetbv_at_CPL3_is_GP_and_xgetbv_is_allowed()
    {
        using var m = Machine(3);
        SystemTestKit.EnterUserMode(m.Cpu);
        m.Load(a => { a.xor(ecx, ecx); a.xgetbv(); a.mov(r9, rax); a.xsetbv(); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(3UL, m.Cpu.R[Reg.R8 + 1]);
    }

    [Fact]
    public void Xgetbv_1_reports_the_components_in_use_and_other_registers_are_GP()
    {
        using var m = Machine(3);
        SimdRig.SetXmm(m.Cpu, 5, 1);
        m.Load(a => { a.mov(ecx, 1); a.xgetbv(); a.mov(r9, rax); a.mov(ecx, 2); a.xgetbv(); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(2UL, m.Cpu.R[Reg.R8 + 1]);     // x87 initial (FNINIT state), SSE in use
    }

    [Fact]
    public void Xsave_family_and_xgetbv_need_CR4_OSXSAVE()
    {
        using var m = SimdRig.LongMode(osxsave: false);
        m.Load(a => { a.xor(ecx, ecx); a.xgetbv(); a.hlt(); });
        Assert.Equal((Vector.UD, 0u), SimdRig.Fault(m));
        using var m2 = SimdRig.LongMode(osxsave: false);
        m2.Load(a => { a.mov(rbx, (long)Area); a.xsave64(__[rbx]); a.hlt(); });
        Assert.Equal((Vector.UD, 0u), SimdRig.Fault(m2));
    }

    [Fact]
    public void Xsave_needs_64_byte_alignment_and_CR0_TS_clear()
    {
        using var m = Machine();
        m.Load(a => { a.mov(rbx, (long)Area + 16); a.mov(eax, -1); a.mov(edx, -1); a.xsave64(__[rbx]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        using var m2 = Machine();
        m2.Cpu.Cr0 |= CpuCore.Cr0Ts;
        m2.Load(a => { a.mov(rbx, (long)Area); a.xsave64(__[rbx]); a.hlt(); });
        Assert.Equal((Vector.NM, 0u), SimdRig.Fault(m2));
    }

    [Fact]
    public void Xsave_writes_requested_components_and_XSTATE_BV_from_XINUSE_and_no_other_header_byte()
    {
        using var m = Machine();
        var c = m.Cpu;
        SimdRig.SetXmm(c, 2, 0xABCD);
        c.Mxcsr = 0x1FA0;
        m.Memory.Write(Header, 8, 0xFFFF_FFFF_FFFF_FF00);        // bits outside RFBM survive
        m.Memory.Write(Header + 8, 8, 0x5A5A);                   // untouched
        m.Memory.Write(Area, 8, 0x1111);
        m.Load(a => { a.mov(rbx, (long)Area); a.mov(eax, 3); a.xor(edx, edx); a.xsave64(__[rbx]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0xFFFF_FFFF_FFFF_FF02UL, m.Memory.Read(Header, 8));  // x87 initial: 0; SSE in use: 1
        Assert.Equal(0x5A5AUL, m.Memory.Read(Header + 8, 8));
        Assert.Equal(0x037FUL, m.Memory.Read(Area, 2));                   // x87 written although initial
        Assert.Equal(0x1FA0UL, m.Memory.Read(Area + 24, 4));
        Assert.Equal(0xABCDUL, m.Memory.Read(Area + 160 + 32, 8));
    }

    [Fact]
    public void Xsaveopt_skips_components_in_their_initial_configuration_but_stores_mxcsr()
    {
        using var m = Machine();
        m.Cpu.Mxcsr = 0x1FA0;
        m.Memory.Write(Area, 8, 0x1111);
        m.Memory.Write(Area + 160, 8, 0x2222);
        m.Memory.Write(Header, 8, 0xFF);
        m.Load(a => { a.mov(rbx, (long)Area); a.mov(eax, -1); a.mov(edx, -1); a.xsaveopt64(__[rbx]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0x1111UL, m.Memory.Read(Area, 8));
        Assert.Equal(0x2222UL, m.Memory.Read(Area + 160, 8));
        Assert.Equal(0x1FA0UL, m.Memory.Read(Area + 24, 4));
        Assert.Equal(0xFCUL, m.Memory.Read(Header, 8));
    }

    [Fact]
    public void Xsavec_writes_the_compacted_header_and_treats_a_non_default_mxcsr_as_sse_state()
    {
        using var m = Machine();
        m.Cpu.Mxcsr = 0x1FA0;
        m.Memory.Write(Header + 16, 8, 0x7777);
        m.Load(a => { a.mov(rbx, (long)Area); a.mov(eax, -1); a.mov(edx, -1); a.xsavec64(__[rbx]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(2UL, m.Memory.Read(Header, 8));                              // XSTATE_BV: SSE only
        Assert.Equal(XsaveLayout.Compacted | 3, m.Memory.Read(Header + 8, 8));    // XCOMP_BV = RFBM | bit 63
        Assert.Equal(0x7777UL, m.Memory.Read(Header + 16, 8));
        Assert.Equal(0x1FA0UL, m.Memory.Read(Area + 24, 4));
    }

    [Fact]
    public void Xrstor_initialises_components_whose_XSTATE_BV_bit_is_clear_and_loads_mxcsr_in_the_standard_form()
    {
        using var m = Machine();
        var c = m.Cpu;
        c.Fcw = 0x0040;
        c.FpuRegisters[3] = new Smp.Devices.Cpu.Fpu.Float80(5, 1);
        SimdRig.SetXmm(c, 9, 0x99, 0x99);
        m.Memory.Write(Area + 24, 4, 0x3F80);                 // MXCSR in memory, loaded although SSE is "initial"
        m.Load(a => { a.mov(rbx, (long)Area); a.mov(eax, 3); a.xor(edx, edx); a.xrstor64(__[rbx]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0x037F, c.Fcw);
        Assert.Equal(0xFFFF, c.Ftw);
        Assert.True(c.FpuRegisters[3].IsZero);
        Assert.Equal((0UL, 0UL), SimdRig.Xmm(c, 9));
        Assert.Equal(0x3F80u, c.Mxcsr);
    }

    [Fact]
    public void Compacted_xrstor_sets_mxcsr_to_its_default_when_sse_state_is_initial()
    {
        using var m = Machine();
        m.Cpu.Mxcsr = 0x1FA0;
        m.Memory.Write(Header + 8, 8, XsaveLayout.Compacted | 3);
        m.Memory.Write(Area + 24, 4, 0x3F80);
        m.Load(a => { a.mov(rbx, (long)Area); a.mov(eax, 3); a.xor(edx, edx); a.xrstor64(__[rbx]); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(Mxcsr.Default, m.Cpu.Mxcsr);
    }

    [Theory]
    [InlineData(4UL, 0UL, 0UL)]                             // XSTATE_BV bit outside XCR0
    [InlineData(0UL, 1UL, 0UL)]                             // standard form with XCOMP_BV bits
    [InlineData(0UL, 0UL, 1UL)]                             // standard form: header bytes 16–23
    [InlineData(3UL, XsaveLayout.Compacted | 1, 0UL)]       // compacted: XSTATE_BV outside XCOMP_BV
    [InlineData(0UL, XsaveLayout.Compacted | 4, 0UL)]       // compacted: XCOMP_BV outside XCR0
    public void Xrstor_with_a_bad_header_is_GP0_and_loads_nothing(ulong xstateBv, ulong xcompBv, ulong reserved)
    {
        using var m = Machine();
        SimdRig.SetXmm(m.Cpu, 0, 0x42);
        m.Memory.Write(Header, 8, xstateBv);
        m.Memory.Write(Header + 8, 8, xcompBv);
        m.Memory.Write(Header + 16, 8, reserved);
        m.Load(a => { a.mov(rbx, (long)Area); a.mov(eax, -1); a.mov(edx, -1); a.xrstor64(__[rbx]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
        Assert.Equal(0x42UL, m.Cpu.Xmm[0]);
    }

    [Fact]
    public void Xrstor_with_reserved_mxcsr_bits_is_GP0()
    {
        using var m = Machine();
        m.Memory.Write(Area + 24, 4, 0x1_0000);
        m.Load(a => { a.mov(rbx, (long)Area); a.mov(eax, 2); a.xor(edx, edx); a.xrstor64(__[rbx]); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SimdRig.Fault(m));
    }

    [Fact]
    public void Xsave_then_xrstor_round_trips_x87_and_sse_state()
    {
        using var m = Machine();
        var c = m.Cpu;
        m.Load(a =>
        {
            a.fld1();
            a.fldpi();
            a.mov(rax, 0x0123_4567_89AB_CDEFL);
            a.movq(xmm7, rax);
            a.mov(rbx, (long)Area);
            a.mov(eax, 3);
            a.xor(edx, edx);
            a.xsave64(__[rbx]);
            a.fninit();
            a.pxor(xmm7, xmm7);
            a.xrstor64(__[rbx]);
            a.hlt();
        });
        SimdRig.Run(m);
        Assert.Equal(3UL, m.Memory.Read(Header, 8));
        Assert.Equal(0x0123_4567_89AB_CDEFUL, c.Xmm[14]);
        Assert.Equal(6, (c.Fsw >> 11) & 7);
        Assert.Equal(0x3FFF, c.FpuRegisters[7].SignExponent);            // 1.0 in R7
        Assert.Equal(0xC90F_DAA2_2168_C235UL, c.FpuRegisters[6].Significand); // π in R6
    }
}
