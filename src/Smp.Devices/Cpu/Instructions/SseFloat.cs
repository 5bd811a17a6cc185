using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// SSE/SSE2/SSE3 floating-point arithmetic (SDM Vol. 1 §10.4.2, §11.4.1, §12.3.3): ADD, SUB, MUL, DIV, MIN, MAX,
/// SQRT, RCP, RSQRT in packed and scalar single and double forms, ADDSUBPS/PD and the horizontal HADD/HSUB.
/// Every form computes all elements with <see cref="SoftFloat"/>, then reports exceptions (which may fault and
/// write nothing), then writes the destination. Scalar forms leave the destination's other elements unchanged.
/// </summary>
internal static unsafe class SseFloat
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Addps_xmm_xmmm128, &Packed<FpAdd, Single32>);
        HandlerTable.Register(Code.Addpd_xmm_xmmm128, &Packed<FpAdd, Double64>);
        HandlerTable.Register(Code.Addss_xmm_xmmm32, &Scalar<FpAdd, Single32>);
        HandlerTable.Register(Code.Addsd_xmm_xmmm64, &Scalar<FpAdd, Double64>);
        HandlerTable.Register(Code.Subps_xmm_xmmm128, &Packed<FpSub, Single32>);
        HandlerTable.Register(Code.Subpd_xmm_xmmm128, &Packed<FpSub, Double64>);
        HandlerTable.Register(Code.Subss_xmm_xmmm32, &Scalar<FpSub, Single32>);
        HandlerTable.Register(Code.Subsd_xmm_xmmm64, &Scalar<FpSub, Double64>);
        HandlerTable.Register(Code.Mulps_xmm_xmmm128, &Packed<FpMul, Single32>);
        HandlerTable.Register(Code.Mulpd_xmm_xmmm128, &Packed<FpMul, Double64>);
        HandlerTable.Register(Code.Mulss_xmm_xmmm32, &Scalar<FpMul, Single32>);
        HandlerTable.Register(Code.Mulsd_xmm_xmmm64, &Scalar<FpMul, Double64>);
        HandlerTable.Register(Code.Divps_xmm_xmmm128, &Packed<FpDiv, Single32>);
        HandlerTable.Register(Code.Divpd_xmm_xmmm128, &Packed<FpDiv, Double64>);
        HandlerTable.Register(Code.Divss_xmm_xmmm32, &Scalar<FpDiv, Single32>);
        HandlerTable.Register(Code.Divsd_xmm_xmmm64, &Scalar<FpDiv, Double64>);
        HandlerTable.Register(Code.Minps_xmm_xmmm128, &Packed<FpMin, Single32>);
        HandlerTable.Register(Code.Minpd_xmm_xmmm128, &Packed<FpMin, Double64>);
        HandlerTable.Register(Code.Minss_xmm_xmmm32, &Scalar<FpMin, Single32>);
        HandlerTable.Register(Code.Minsd_xmm_xmmm64, &Scalar<FpMin, Double64>);
        HandlerTable.Register(Code.Maxps_xmm_xmmm128, &Packed<FpMax, Single32>);
        HandlerTable.Register(Code.Maxpd_xmm_xmmm128, &Packed<FpMax, Double64>);
        HandlerTable.Register(Code.Maxss_xmm_xmmm32, &Scalar<FpMax, Single32>);
        HandlerTable.Register(Code.Maxsd_xmm_xmmm64, &Scalar<FpMax, Double64>);
        HandlerTable.Register(Code.Sqrtps_xmm_xmmm128, &Packed<FpSqrt, Single32>);
        HandlerTable.Register(Code.Sqrtpd_xmm_xmmm128, &Packed<FpSqrt, Double64>);
        HandlerTable.Register(Code.Sqrtss_xmm_xmmm32, &Scalar<FpSqrt, Single32>);
        HandlerTable.Register(Code.Sqrtsd_xmm_xmmm64, &Scalar<FpSqrt, Double64>);
        HandlerTable.Register(Code.Rcpps_xmm_xmmm128, &Packed<FpReciprocal, Single32>);
        HandlerTable.Register(Code.Rcpss_xmm_xmmm32, &Scalar<FpReciprocal, Single32>);
        HandlerTable.Register(Code.Rsqrtps_xmm_xmmm128, &Packed<FpReciprocalSqrt, Single32>);
        HandlerTable.Register(Code.Rsqrtss_xmm_xmmm32, &Scalar<FpReciprocalSqrt, Single32>);
        HandlerTable.Register(Code.Addsubps_xmm_xmmm128, &AddSub<Single32>);
        HandlerTable.Register(Code.Addsubpd_xmm_xmmm128, &AddSub<Double64>);
        HandlerTable.Register(Code.Haddps_xmm_xmmm128, &Horizontal<FpAdd, Single32>);
        HandlerTable.Register(Code.Haddpd_xmm_xmmm128, &Horizontal<FpAdd, Double64>);
        HandlerTable.Register(Code.Hsubps_xmm_xmmm128, &Horizontal<FpSub, Single32>);
        HandlerTable.Register(Code.Hsubpd_xmm_xmmm128, &Horizontal<FpSub, Double64>);
    }

    /// <summary>Elements of format <typeparamref name="F"/> in 128 bits: 4 singles or 2 doubles.</summary>
    internal static int Lanes<F>() where F : struct, IFloatFormat => typeof(F) == typeof(Single32) ? 4 : 2;

    /// <summary>Element <paramref name="i"/> of <paramref name="v"/> as raw bits.</summary>
    internal static ulong Lane<F>(Vector128<byte> v, int i) where F : struct, IFloatFormat =>
        typeof(F) == typeof(Single32) ? v.AsUInt32().GetElement(i) : v.AsUInt64().GetElement(i);

    /// <summary><paramref name="v"/> with element <paramref name="i"/> replaced.</summary>
    internal static Vector128<byte> WithLane<F>(Vector128<byte> v, int i, ulong x) where F : struct, IFloatFormat =>
        typeof(F) == typeof(Single32) ? v.AsUInt32().WithElement(i, (uint)x).AsByte() : v.AsUInt64().WithElement(i, x).AsByte();

    // op xmm1, xmm2/m128 on every element.
    private static void Packed<TOp, F>(CpuCore c, ref Uop u) where TOp : struct, IFpBinary where F : struct, IFloatFormat
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        var a = d;
        var env = SseFp.For(c.Mxcsr);
        var r = a;
        for (int i = 0; i < Lanes<F>(); i++) r = WithLane<F>(r, i, TOp.Apply<F>(Lane<F>(a, i), Lane<F>(b, i), ref env));
        c.CommitSseFp(env);
        d = r;
    }

    // op xmm1, xmm2/m32 (m64) on element 0.
    private static void Scalar<TOp, F>(CpuCore c, ref Uop u) where TOp : struct, IFpBinary where F : struct, IFloatFormat
    {
        c.SseCheck();
        ulong b = c.XmmScalarSource(ref u, typeof(F) == typeof(Single32) ? 4 : 8);
        ref var d = ref c.XmmRef(u.R0);
        var env = SseFp.For(c.Mxcsr);
        ulong r = TOp.Apply<F>(Lane<F>(d, 0), b, ref env);
        c.CommitSseFp(env);
        d = WithLane<F>(d, 0, r);
    }

    // ADDSUBPS/ADDSUBPD (SSE3): even elements subtract, odd elements add.
    private static void AddSub<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        var a = d;
        var env = SseFp.For(c.Mxcsr);
        var r = a;
        for (int i = 0; i < Lanes<F>(); i++)
        {
            ulong x = Lane<F>(a, i), y = Lane<F>(b, i);
            r = WithLane<F>(r, i, (i & 1) == 0 ? SoftFloat.Sub<F>(x, y, ref env) : SoftFloat.Add<F>(x, y, ref env));
        }
        c.CommitSseFp(env);
        d = r;
    }

    // HADDPS/HSUBPS/HADDPD/HSUBPD (SSE3): adjacent pairs of the destination, then of the source, element 2k op 2k+1.
    private static void Horizontal<TOp, F>(CpuCore c, ref Uop u) where TOp : struct, IFpBinary where F : struct, IFloatFormat
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        var a = d;
        var env = SseFp.For(c.Mxcsr);
        var r = a;
        int half = Lanes<F>() / 2;
        for (int i = 0; i < Lanes<F>(); i++)
        {
            var v = i < half ? a : b;
            int k = (i % half) * 2;
            r = WithLane<F>(r, i, TOp.Apply<F>(Lane<F>(v, k), Lane<F>(v, k + 1), ref env));
        }
        c.CommitSseFp(env);
        d = r;
    }
}
