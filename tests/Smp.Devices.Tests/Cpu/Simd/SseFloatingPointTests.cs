using Smp.Devices.Cpu.Simd;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Simd;

// MXCSR rounding, DAZ, FTZ and the SDM's NaN rules on known values (the differential tests cover random ones).
public class SseFloatingPointTests
{
    private static SseFp Env(int rounding, uint extra = 0) => SseFp.For(Mxcsr.Default | extra | ((uint)rounding << Mxcsr.RcShift));

    [Theory]
    [InlineData(Mxcsr.RoundNearest, 0x3EAAAAABu)]
    [InlineData(Mxcsr.RoundDown, 0x3EAAAAAAu)]
    [InlineData(Mxcsr.RoundUp, 0x3EAAAAABu)]
    [InlineData(Mxcsr.RoundZero, 0x3EAAAAAAu)]
    public void One_third_rounds_by_MXCSR_RC_and_sets_PE(int rounding, uint expected)
    {
        var env = Env(rounding);
        Assert.Equal(expected, (uint)SoftFloat.Div<Single32>(SimdRig.Bits(1f), SimdRig.Bits(3f), ref env));
        Assert.Equal(Mxcsr.PE, env.Flags);
    }

    [Theory]
    [InlineData(Mxcsr.RoundNearest, 0x7F80_0000u)]
    [InlineData(Mxcsr.RoundZero, 0x7F7F_FFFFu)]
    [InlineData(Mxcsr.RoundDown, 0x7F7F_FFFFu)]
    [InlineData(Mxcsr.RoundUp, 0x7F80_0000u)]
    public void Masked_overflow_returns_infinity_or_the_largest_finite_value_by_rounding(int rounding, uint expected)
    {
        var env = Env(rounding);
        Assert.Equal(expected, (uint)SoftFloat.Mul<Single32>(SimdRig.Bits(float.MaxValue), SimdRig.Bits(2f), ref env));
        Assert.Equal(Mxcsr.OE | Mxcsr.PE, env.Flags);
    }

    [Fact]
    public void Tininess_is_detected_after_rounding()
    {
        // Just below 2^-126: rounds to the smallest normal in the unbounded exponent range, so no underflow.
        var env = Env(Mxcsr.RoundNearest);
        uint justBelow = 0x007F_FFFF;   // largest denormal
        uint r = (uint)SoftFloat.Mul<Single32>(justBelow, SimdRig.Bits(1.0000001f), ref env);
        Assert.Equal(0x0080_0000u, r);
        Assert.Equal(Mxcsr.DE | Mxcsr.PE, env.Flags);   // a denormal source, an inexact result, no UE
    }

    [Fact]
    public void Exact_denormal_result_sets_no_flag_and_FTZ_flushes_it_with_UE_and_PE()
    {
        var env = Env(Mxcsr.RoundNearest);
        uint half = (uint)SoftFloat.Mul<Single32>(SimdRig.Bits(1.17549435e-38f), SimdRig.Bits(0.5f), ref env);
        Assert.Equal(0x0040_0000u, half);
        Assert.Equal(0u, env.Flags);
        var ftz = Env(Mxcsr.RoundNearest, Mxcsr.Ftz);
        Assert.Equal(0u, (uint)SoftFloat.Mul<Single32>(SimdRig.Bits(1.17549435e-38f), SimdRig.Bits(-0.5f), ref ftz) & 0x7FFF_FFFF);
        Assert.Equal(Mxcsr.UE | Mxcsr.PE, ftz.Flags);
    }

    [Fact]
    public void DAZ_reads_denormal_sources_as_zero_without_DE()
    {
        var env = Env(Mxcsr.RoundNearest, Mxcsr.Daz);
        Assert.Equal(SimdRig.Bits(1f), (uint)SoftFloat.Add<Single32>(SimdRig.Bits(1f), 1, ref env));
        Assert.Equal(0u, env.Flags);
        var noDaz = Env(Mxcsr.RoundNearest);
        SoftFloat.Add<Single32>(SimdRig.Bits(1f), 1, ref noDaz);
        Assert.Equal(Mxcsr.DE | Mxcsr.PE, noDaz.Flags);
    }

    [Fact]
    public void A_NaN_result_is_the_first_source_NaN_made_quiet_and_an_SNaN_sets_IE()
    {
        var env = Env(Mxcsr.RoundNearest);
        ulong snan = 0x7FF0_0000_0000_0001, qnan = 0xFFF8_0000_0000_0002;
        Assert.Equal(0x7FF8_0000_0000_0001UL, SoftFloat.Add<Double64>(snan, qnan, ref env));
        Assert.Equal(Mxcsr.IE, env.Flags);
        env = Env(Mxcsr.RoundNearest);
        Assert.Equal(qnan, SoftFloat.Mul<Double64>(SimdRig.Bits(2.0), qnan, ref env));
        Assert.Equal(0u, env.Flags);
    }

    [Fact]
    public void Invalid_operations_return_the_default_NaN()
    {
        var env = Env(Mxcsr.RoundNearest);
        Assert.Equal(0xFFC0_0000UL, SoftFloat.Sub<Single32>(SimdRig.Bits(float.PositiveInfinity), SimdRig.Bits(float.PositiveInfinity), ref env));
        Assert.Equal(0xFFF8_0000_0000_0000UL, SoftFloat.Sqrt<Double64>(SimdRig.Bits(-1.0), ref env));
        Assert.Equal(Mxcsr.IE, env.Flags);
    }

    [Fact]
    public void Max_returns_the_second_source_for_a_NaN_or_equal_zeros()
    {
        var env = Env(Mxcsr.RoundNearest);
        Assert.Equal(SimdRig.Bits(2f), (uint)SoftFloat.Max<Single32>(0x7FC0_0001, SimdRig.Bits(2f), ref env));
        Assert.Equal(Mxcsr.IE, env.Flags);   // any NaN, quiet or not
        env = Env(Mxcsr.RoundNearest);
        Assert.Equal(0x8000_0000u, (uint)SoftFloat.Max<Single32>(0, 0x8000_0000, ref env));
        Assert.Equal(0u, env.Flags);
    }

    [Fact]
    public void Out_of_range_conversion_returns_the_integer_indefinite_with_IE()
    {
        using var m = SimdRig.LongMode();
        SimdRig.SetXmm(m.Cpu, 1, SimdRig.Bits(3e9));
        m.Load(a => { a.cvttsd2si(eax, xmm1); a.cvtsd2si(rbx, xmm1); a.hlt(); });
        SimdRig.Run(m);
        Assert.Equal(0x8000_0000UL, m.Cpu.R[0]);
        Assert.Equal(3_000_000_000UL, m.Cpu.R[3]);
        Assert.Equal(Mxcsr.IE, m.Cpu.Mxcsr & Mxcsr.Flags);
    }

    [Fact]
    public void Comiss_sets_ZF_PF_CF_for_unordered_and_IE_while_ucomiss_only_signals_on_SNaN()
    {
        using var m = SimdRig.LongMode();
        SimdRig.SetXmm(m.Cpu, 1, 0x7FC0_0000);
        m.Load(a => { a.ucomiss(xmm0, xmm1); a.hlt(); });
        SimdRig.Run(m);
        Assert.True(m.Cpu.GetZF() && m.Cpu.GetPF() && m.Cpu.GetCF());
        Assert.Equal(0u, m.Cpu.Mxcsr & Mxcsr.Flags);
        m.Cpu.Rip = TestMachine.CodeBase;
        m.Cpu.State = Smp.Devices.Cpu.RunState.Running;
        m.Load(a => { a.comiss(xmm0, xmm1); a.hlt(); });
        m.Cpu.FlushDecodeCache();
        SimdRig.Run(m);
        Assert.Equal(Mxcsr.IE, m.Cpu.Mxcsr & Mxcsr.Flags);
    }

    [Fact]
    public void Reciprocal_approximations_are_within_the_SDM_bound_and_handle_the_special_cases()
    {
        for (float x = 0.001f; x < 1e6f; x *= 1.37f)
        {
            float r = BitConverter.UInt32BitsToSingle(SoftFloat.Reciprocal(SimdRig.Bits(x)));
            Assert.InRange(Math.Abs(r * (double)x - 1), 0, 1.5 / 4096);
            float s = BitConverter.UInt32BitsToSingle(SoftFloat.ReciprocalSqrt(SimdRig.Bits(x)));
            Assert.InRange(Math.Abs(s * Math.Sqrt(x) - 1), 0, 1.5 / 4096);
        }
        Assert.Equal(0xFF80_0000u, SoftFloat.Reciprocal(0x8000_0001));    // a denormal reads as −0: −∞
        Assert.Equal(0u, SoftFloat.Reciprocal(0x7F00_0000));             // 2^127: tiny, flushed
        Assert.Equal(0xFFC0_0000u, SoftFloat.ReciprocalSqrt(SimdRig.Bits(-4f)));
    }
}
