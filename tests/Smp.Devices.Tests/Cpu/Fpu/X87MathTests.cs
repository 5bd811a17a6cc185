using Smp.Devices.Cpu.Fpu;

namespace Smp.Devices.Tests.Cpu.Fpu;

public sealed class X87MathTests
{
    private static readonly Float80 One = Float80.One;
    private static readonly Float80 Three = new(0xC000_0000_0000_0000, 0x4000);
    private static readonly Float80 Two = new(0x8000_0000_0000_0000, 0x4000);

    private static Float80 Divide(Float80 a, Float80 b, int rc, int precision, out FpEnv env)
    {
        env = FpEnv.Masked(rc, precision);
        return X87Math.Div(a, b, ref env);
    }

    [Theory]
    [InlineData(0, 64, 0xAAAA_AAAA_AAAA_AAABUL, true)]
    [InlineData(1, 64, 0xAAAA_AAAA_AAAA_AAAAUL, false)]
    [InlineData(2, 64, 0xAAAA_AAAA_AAAA_AAABUL, true)]
    [InlineData(3, 64, 0xAAAA_AAAA_AAAA_AAAAUL, false)]
    [InlineData(0, 53, 0xAAAA_AAAA_AAAA_A800UL, false)]
    [InlineData(2, 53, 0xAAAA_AAAA_AAAA_B000UL, true)]
    [InlineData(0, 24, 0xAAAA_AB00_0000_0000UL, true)]
    [InlineData(3, 24, 0xAAAA_AA00_0000_0000UL, false)]
    public void One_third_rounds_by_rounding_control_and_precision_control(int rc, int precision, ulong significand, bool roundedUp)
    {
        var r = Divide(One, Three, rc, precision, out var env);
        Assert.Equal(new Float80(significand, 0x3FFD), r);
        Assert.Equal(X87Sw.PE, env.Flags);
        Assert.Equal(roundedUp, env.RoundedUp);
    }

    [Fact]
    public void Negative_results_round_toward_the_chosen_infinity()
    {
        var down = Divide(One.Negate, Three, 1, 64, out var e1);
        var up = Divide(One.Negate, Three, 2, 64, out var e2);
        Assert.Equal(0xAAAA_AAAA_AAAA_AAABUL, down.Significand);
        Assert.True(e1.RoundedUp); // magnitude grew
        Assert.Equal(0xAAAA_AAAA_AAAA_AAAAUL, up.Significand);
        Assert.False(e2.RoundedUp);
    }

    [Fact]
    public void Square_root_of_two_is_correctly_rounded()
    {
        var env = FpEnv.Masked(0, 64);
        Assert.Equal(new Float80(0xB504_F333_F9DE_6484, 0x3FFF), X87Math.Sqrt(Two, ref env));
        Assert.Equal(X87Sw.PE, env.Flags);
        env = FpEnv.Masked(0, 64);
        Assert.Equal(Float80.Indefinite, X87Math.Sqrt(Two.Negate, ref env));
        Assert.Equal(X87Sw.IE, env.Flags);
        env = FpEnv.Masked(0, 64);
        Assert.Equal(Float80.SignedZero(true), X87Math.Sqrt(Float80.SignedZero(true), ref env));
    }

    [Fact]
    public void Tiny_results_become_denormals_with_underflow_only_when_inexact()
    {
        var minNormal = new Float80(0x8000_0000_0000_0000, 1);
        var env = FpEnv.Masked(0, 64);
        var half = X87Math.Div(minNormal, Two, ref env);
        Assert.Equal(new Float80(0x4000_0000_0000_0000, 0), half); // exact: no UE
        Assert.Equal(0, env.Flags);
        env = FpEnv.Masked(0, 64);
        var third = X87Math.Div(minNormal, Three, ref env);
        Assert.Equal(0, third.Exponent);
        Assert.Equal(X87Sw.UE | X87Sw.PE, env.Flags);

        // Unmasked underflow: the exact rounded value with the exponent raised by 24576 (SDM Vol. 1 §8.5.5).
        env = FpEnv.For(0x037F & ~X87Sw.UE, true);
        var scaled = X87Math.Div(minNormal, Three, ref env);
        Assert.Equal(1 - 2 + 0x6000, scaled.Exponent);
        Assert.Equal(0xAAAA_AAAA_AAAA_AAABUL, scaled.Significand);
        Assert.Equal(X87Sw.UE | X87Sw.PE, env.Flags);
    }

    [Fact]
    public void Denormal_operands_raise_de_and_an_unmasked_de_stops_the_operation()
    {
        var denormal = new Float80(0x0000_0000_0000_0001, 0);
        var env = FpEnv.Masked(0, 64);
        X87Math.Add(denormal, One, false, ref env);
        Assert.Equal(X87Sw.DE | X87Sw.PE, env.Flags);
        env = FpEnv.For(0x037F & ~X87Sw.DE, true);
        X87Math.Add(denormal, One, false, ref env);
        Assert.Equal(X87Sw.DE, env.Flags);
        Assert.True(env.PreComputationFault);
    }

    [Fact]
    public void Overflow_gives_infinity_or_the_largest_value_by_rounding_mode()
    {
        var max = new Float80(0xFFFF_FFFF_FFFF_FFFF, 0x7FFE);
        var env = FpEnv.Masked(0, 64);
        Assert.Equal(Float80.Infinity(false), X87Math.Mul(max, Two, ref env));
        Assert.Equal(X87Sw.OE | X87Sw.PE, env.Flags);
        env = FpEnv.Masked(3, 64);
        Assert.Equal(max, X87Math.Mul(max, Two, ref env));
        env = FpEnv.Masked(3, 24);
        Assert.Equal(new Float80(0xFFFF_FF00_0000_0000, 0x7FFE), X87Math.Mul(max, Two, ref env));
    }

    [Fact]
    public void Nan_operands_follow_table_4_7()
    {
        var qnanSmall = new Float80(0xC000_0000_0000_0001, 0x7FFF);
        var qnanLarge = new Float80(0xC000_0000_0000_0002, 0xFFFF);
        var snan = new Float80(0xA000_0000_0000_0000, 0x7FFF);
        var env = FpEnv.Masked(0, 64);
        Assert.Equal(qnanSmall, X87Math.Add(snan, qnanSmall, false, ref env)); // a QNaN beats an SNaN
        Assert.Equal(X87Sw.IE, env.Flags);
        env = FpEnv.Masked(0, 64);
        Assert.Equal(qnanLarge, X87Math.Mul(qnanSmall, qnanLarge, ref env)); // larger significand
        Assert.Equal(0, env.Flags);
        env = FpEnv.Masked(0, 64);
        Assert.Equal(snan.Quiet, X87Math.Div(One, snan, ref env)); // quieted
        Assert.Equal(X87Sw.IE, env.Flags);
        env = FpEnv.Masked(0, 64);
        var unnormal = new Float80(0x4000_0000_0000_0000, 0x3FFF);
        Assert.Equal(Float80.Indefinite, X87Math.Add(unnormal, One, false, ref env));
        Assert.Equal(X87Sw.IE, env.Flags);
        env = FpEnv.Masked(0, 64);
        Assert.Equal(Float80.Indefinite, X87Math.Add(Float80.Infinity(false), Float80.Infinity(true), false, ref env));
        Assert.Equal(X87Sw.IE, env.Flags);
    }

    [Fact]
    public void Packed_bcd_converts_both_ways_and_rejects_19_digits()
    {
        var v = X87Math.FromBcd(0x5678_9012_3456_7890, 0x8012); // −125678901234567890: 18 digits and the sign
        var env = FpEnv.Masked(0, 64);
        Assert.True(X87Math.ToInteger(v, 8, 0, ref env, out long n));
        Assert.Equal(-125678901234567890, n);
        Assert.True(X87Math.ToBcd(v, ref env, out ulong low, out ushort high));
        Assert.Equal(0x5678_9012_3456_7890UL, low);
        Assert.Equal(0x8012, high);
        var big = X87Math.FromInt64(1_000_000_000_000_000_000);
        env = FpEnv.Masked(0, 64);
        Assert.False(X87Math.ToBcd(big, ref env, out _, out _));
        Assert.Equal(X87Sw.IE, env.Flags);
        Assert.Equal((0xC000_0000_0000_0000UL, (ushort)0xFFFF), X87Math.BcdIndefinite);
    }

    [Theory]
    [InlineData(0, 2L)]
    [InlineData(1, 2L)]
    [InlineData(2, 3L)]
    [InlineData(3, 2L)]
    public void Integer_conversion_rounds_by_rounding_control(int rc, long expected)
    {
        var twoAndHalf = new Float80(0xA000_0000_0000_0000, 0x4000);
        var env = FpEnv.Masked(rc, 64);
        Assert.True(X87Math.ToInteger(twoAndHalf, 4, rc, ref env, out long v));
        Assert.Equal(expected, v);
        Assert.Equal(X87Sw.PE, env.Flags);
        env = FpEnv.Masked(0, 64);
        Assert.False(X87Math.ToInteger(X87Math.FromInt64(32768), 2, 0, ref env, out _));
        Assert.True(X87Math.ToInteger(X87Math.FromInt64(-32768), 2, 0, ref env, out long min));
        Assert.Equal(-32768, min);
    }

    [Fact]
    public void Remainders_report_the_low_quotient_bits()
    {
        var seven = X87Math.FromInt64(7);
        var env = FpEnv.Masked(0, 64);
        Assert.Equal(One, X87Math.Remainder(seven, Two, false, ref env, out int codes));
        Assert.Equal(X87Sw.C3 | X87Sw.C1, codes); // quotient 3: Q1 = 1, Q0 = 1, Q2 = 0
        Assert.Equal(One.Negate, X87Math.Remainder(seven, Two, true, ref env, out codes));
        Assert.Equal(X87Sw.C0, codes); // quotient 4 (3.5 to even)
        var huge = new Float80(0x8000_0000_0000_0000, 0x3FFF + 100);
        X87Math.Remainder(huge, Three, false, ref env, out codes);
        Assert.Equal(X87Sw.C2, codes); // exponents 100 apart: partial
    }

    [Fact]
    public void Constants_round_by_rounding_control()
    {
        Assert.Equal(0xC90F_DAA2_2168_C235UL, X87Constants.Rounded(X87Constants.Pi, 0).Significand);
        Assert.Equal(0xC90F_DAA2_2168_C234UL, X87Constants.Rounded(X87Constants.Pi, 1).Significand);
        Assert.Equal(0xC90F_DAA2_2168_C235UL, X87Constants.Rounded(X87Constants.Pi, 2).Significand);
        Assert.Equal(0xD49A_784B_CD1B_8AFEUL, X87Constants.Rounded(X87Constants.Log2Ten, 0).Significand);
        Assert.Equal(0xD49A_784B_CD1B_8AFFUL, X87Constants.Rounded(X87Constants.Log2Ten, 2).Significand);
        Assert.Equal(Float80.One, X87Constants.Rounded(X87Constants.One, 2));
    }

    [Fact]
    public void Series_constants_agree_with_the_load_constants()
    {
        Assert.Equal(0xC90F_DAA2_2168_C234UL, (ulong)(X87Math.PiWide.M >> 64));
        Assert.Equal(1, X87Math.PiWide.Exp);
        Assert.Equal(0xB172_17F7_D1CF_79ABUL, (ulong)(X87Math.Ln2Wide.M >> 64));
        Assert.Equal(-1, X87Math.Ln2Wide.Exp);
    }

    [Fact]
    public void Transcendentals_hit_known_values()
    {
        var env = FpEnv.Masked(0, 64);
        // atan2(1, 1) = π/4: FLDPI's nearest-rounded significand with exponent −1.
        Assert.Equal(new Float80(0xC90F_DAA2_2168_C235, 0x3FFE), X87Math.Atan2(One, One, ref env));
        env = FpEnv.Masked(0, 64);
        Assert.Equal(One, X87Math.Exp2Minus1(One, ref env)); // 2^1 − 1
        env = FpEnv.Masked(0, 64);
        Assert.Equal(X87Math.FromInt64(3), X87Math.YLog2X(Three, Two, ref env)); // 3 × log2 2
        env = FpEnv.Masked(0, 64);
        Assert.Equal(Float80.Infinity(true), X87Math.YLog2X(One, Float80.Zero, ref env));
        Assert.Equal(X87Sw.ZE, env.Flags);
        env = FpEnv.Masked(0, 64);
        Assert.Equal(Float80.One, X87Math.SinOrCos(Float80.Zero, true, ref env));
        Assert.False(X87Math.TrigInRange(new Float80(0x8000_0000_0000_0000, 0x3FFF + 63)));
    }
}
