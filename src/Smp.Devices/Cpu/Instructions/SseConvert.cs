using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// SSE/SSE2 conversions (SDM Vol. 1 §10.4.6, §11.4.4; Vol. 2A CVT*): between singles and doubles, from and to
/// signed 32- and 64-bit integers in GPRs, MMX registers, memory and XMM elements. The CVTT forms truncate, the others
/// round by MXCSR.RC; a NaN, an infinity or an out-of-range value gives the integer indefinite (only the sign bit) with
/// IE. Forms with an MMX register operand switch the x87 unit to MMX state; CVTPI2PS/CVTPI2PD from memory do not
/// (SDM Vol. 2A CVTPI2PS).
/// </summary>
internal static unsafe class SseConvert
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Cvtsi2ss_xmm_rm32, &IntToScalar32<Single32>);
        HandlerTable.Register(Code.Cvtsi2ss_xmm_rm64, &IntToScalar64<Single32>);
        HandlerTable.Register(Code.Cvtsi2sd_xmm_rm32, &IntToScalar32<Double64>);
        HandlerTable.Register(Code.Cvtsi2sd_xmm_rm64, &IntToScalar64<Double64>);
        HandlerTable.Register(Code.Cvtss2si_r32_xmmm32, &ScalarToInt32<Single32>);
        HandlerTable.Register(Code.Cvtss2si_r64_xmmm32, &ScalarToInt64<Single32>);
        HandlerTable.Register(Code.Cvtsd2si_r32_xmmm64, &ScalarToInt32<Double64>);
        HandlerTable.Register(Code.Cvtsd2si_r64_xmmm64, &ScalarToInt64<Double64>);
        HandlerTable.Register(Code.Cvttss2si_r32_xmmm32, &ScalarTruncate32<Single32>);
        HandlerTable.Register(Code.Cvttss2si_r64_xmmm32, &ScalarTruncate64<Single32>);
        HandlerTable.Register(Code.Cvttsd2si_r32_xmmm64, &ScalarTruncate32<Double64>);
        HandlerTable.Register(Code.Cvttsd2si_r64_xmmm64, &ScalarTruncate64<Double64>);
        HandlerTable.Register(Code.Cvtss2sd_xmm_xmmm32, &Cvtss2sd);
        HandlerTable.Register(Code.Cvtsd2ss_xmm_xmmm64, &Cvtsd2ss);
        HandlerTable.Register(Code.Cvtps2pd_xmm_xmmm64, &Cvtps2pd);
        HandlerTable.Register(Code.Cvtpd2ps_xmm_xmmm128, &Cvtpd2ps);
        HandlerTable.Register(Code.Cvtdq2ps_xmm_xmmm128, &Cvtdq2ps);
        HandlerTable.Register(Code.Cvtps2dq_xmm_xmmm128, &Cvtps2dq);
        HandlerTable.Register(Code.Cvttps2dq_xmm_xmmm128, &Cvttps2dq);
        HandlerTable.Register(Code.Cvtdq2pd_xmm_xmmm64, &Cvtdq2pd);
        HandlerTable.Register(Code.Cvtpd2dq_xmm_xmmm128, &Cvtpd2dq);
        HandlerTable.Register(Code.Cvttpd2dq_xmm_xmmm128, &Cvttpd2dq);
        HandlerTable.Register(Code.Cvtpi2ps_xmm_mmm64, &Cvtpi2ps);
        HandlerTable.Register(Code.Cvtpi2pd_xmm_mmm64, &Cvtpi2pd);
        HandlerTable.Register(Code.Cvtps2pi_mm_xmmm64, &Cvtps2pi);
        HandlerTable.Register(Code.Cvttps2pi_mm_xmmm64, &Cvttps2pi);
        HandlerTable.Register(Code.Cvtpd2pi_mm_xmmm128, &Cvtpd2pi);
        HandlerTable.Register(Code.Cvttpd2pi_mm_xmmm128, &Cvttpd2pi);
    }

    private static int Size<F>() where F : struct, IFloatFormat => typeof(F) == typeof(Single32) ? 4 : 8;

    // Two packed doubleword integers to two elements of format F (singles packed in 64 bits, or two doubles).
    private static (ulong Low, ulong High) FromInts<F>(ulong a, ref SseFp env) where F : struct, IFloatFormat =>
        (SoftFloat.FromInt<F>((int)a, ref env), SoftFloat.FromInt<F>((int)(a >> 32), ref env));

    // Two elements of format F to two packed doubleword integers.
    private static ulong ToInts<F>(ulong low, ulong high, int rounding, ref SseFp env) where F : struct, IFloatFormat =>
        SoftFloat.ToInt<F>(low, 32, rounding, ref env) | (SoftFloat.ToInt<F>(high, 32, rounding, ref env) << 32);

    // ---- integer GPR/memory <-> scalar -------------------------------------------------------------------------

    private static void IntToScalar32<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat
    {
        c.SseCheck();
        IntToScalar<F>(c, ref u, (int)(u.R1 != Reg.None ? c.Get32(u.R1) : c.Read32(c.SimdAddress(ref u, 4, false))));
    }

    private static void IntToScalar64<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat
    {
        c.SseCheck();
        IntToScalar<F>(c, ref u, (long)(u.R1 != Reg.None ? c.Get64(u.R1) : c.Read64(c.SimdAddress(ref u, 8, false))));
    }

    // CVTSI2SS/CVTSI2SD: element 0 of the destination; the others are kept.
    private static void IntToScalar<F>(CpuCore c, ref Uop u, long value) where F : struct, IFloatFormat
    {
        var env = SseFp.For(c.Mxcsr);
        ulong r = SoftFloat.FromInt<F>(value, ref env);
        c.CommitSseFp(env);
        ref var d = ref c.XmmRef(u.R0);
        d = SseFloat.WithLane<F>(d, 0, r);
    }

    private static void ScalarToInt32<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat => ScalarToInt<F>(c, ref u, 32, false);
    private static void ScalarToInt64<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat => ScalarToInt<F>(c, ref u, 64, false);
    private static void ScalarTruncate32<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat => ScalarToInt<F>(c, ref u, 32, true);
    private static void ScalarTruncate64<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat => ScalarToInt<F>(c, ref u, 64, true);

    private static void ScalarToInt<F>(CpuCore c, ref Uop u, int bits, bool truncate) where F : struct, IFloatFormat
    {
        c.SseCheck();
        ulong a = c.XmmScalarSource(ref u, Size<F>());
        var env = SseFp.For(c.Mxcsr);
        ulong r = SoftFloat.ToInt<F>(a, bits, truncate ? Mxcsr.RoundZero : env.Rounding, ref env);
        c.CommitSseFp(env);
        if (bits == 64) c.Set64(u.R0, r);
        else c.Set32(u.R0, (uint)r);
    }

    // ---- between the formats ------------------------------------------------------------------------------------

    private static void Cvtss2sd(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong a = c.XmmScalarSource(ref u, 4);
        var env = SseFp.For(c.Mxcsr);
        ulong r = SoftFloat.Convert<Single32, Double64>(a, ref env);
        c.CommitSseFp(env);
        c.XmmQ(u.R0, 0) = r;
    }

    private static void Cvtsd2ss(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong a = c.XmmScalarSource(ref u, 8);
        var env = SseFp.For(c.Mxcsr);
        ulong r = SoftFloat.Convert<Double64, Single32>(a, ref env);
        c.CommitSseFp(env);
        c.XmmD(u.R0, 0) = (uint)r;
    }

    private static void Cvtps2pd(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong a = c.XmmScalarSource(ref u, 8);
        var env = SseFp.For(c.Mxcsr);
        ulong r0 = SoftFloat.Convert<Single32, Double64>((uint)a, ref env);
        ulong r1 = SoftFloat.Convert<Single32, Double64>(a >> 32, ref env);
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = Vector128.Create(r0, r1).AsByte();
    }

    private static void Cvtpd2ps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var a = c.XmmSource(ref u).AsUInt64();
        var env = SseFp.For(c.Mxcsr);
        ulong r0 = SoftFloat.Convert<Double64, Single32>(a.GetElement(0), ref env);
        ulong r1 = SoftFloat.Convert<Double64, Single32>(a.GetElement(1), ref env);
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = Vector128.Create(r0 | (r1 << 32), 0UL).AsByte();
    }

    // ---- packed integers <-> packed floats -------------------------------------------------------------------------

    private static void Cvtdq2ps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var a = c.XmmSource(ref u).AsInt32();
        var env = SseFp.For(c.Mxcsr);
        var r = Vector128<uint>.Zero;
        for (int i = 0; i < 4; i++) r = r.WithElement(i, (uint)SoftFloat.FromInt<Single32>(a.GetElement(i), ref env));
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = r.AsByte();
    }

    private static void Cvtps2dq(CpuCore c, ref Uop u) => PackedSinglesToInts(c, ref u, false);

    private static void Cvttps2dq(CpuCore c, ref Uop u) => PackedSinglesToInts(c, ref u, true);

    private static void PackedSinglesToInts(CpuCore c, ref Uop u, bool truncate)
    {
        c.SseCheck();
        var a = c.XmmSource(ref u).AsUInt32();
        var env = SseFp.For(c.Mxcsr);
        int rounding = truncate ? Mxcsr.RoundZero : env.Rounding;
        var r = Vector128<uint>.Zero;
        for (int i = 0; i < 4; i++) r = r.WithElement(i, (uint)SoftFloat.ToInt<Single32>(a.GetElement(i), 32, rounding, ref env));
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = r.AsByte();
    }

    private static void Cvtdq2pd(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong a = c.XmmScalarSource(ref u, 8);
        var env = SseFp.For(c.Mxcsr);
        var (r0, r1) = FromInts<Double64>(a, ref env);
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = Vector128.Create(r0, r1).AsByte();
    }

    private static void Cvtpd2dq(CpuCore c, ref Uop u) => PackedDoublesToInts(c, ref u, false);

    private static void Cvttpd2dq(CpuCore c, ref Uop u) => PackedDoublesToInts(c, ref u, true);

    private static void PackedDoublesToInts(CpuCore c, ref Uop u, bool truncate)
    {
        c.SseCheck();
        var a = c.XmmSource(ref u).AsUInt64();
        var env = SseFp.For(c.Mxcsr);
        ulong r = ToInts<Double64>(a[0], a[1], truncate ? Mxcsr.RoundZero : env.Rounding, ref env);
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = Vector128.CreateScalar(r).AsByte();
    }

    // ---- MMX forms ----------------------------------------------------------------------------------------------------

    // The MMX source of CVTPI2PS/CVTPI2PD: a register (a pending x87 exception first, then the MMX state switch) or
    // memory. False when the processor froze on a pending x87 exception (CR0.NE = 0).
    private static bool MmxSourceOrMemory(CpuCore c, ref Uop u, out ulong value)
    {
        if (u.R1 != Reg.None)
        {
            value = 0;
            if (!c.SseMmxReady()) return false;
            value = c.GetMm(u.R1);
            return true;
        }
        c.SseCheck();
        value = c.Read64(c.SimdAddress(ref u, 8, false));
        return true;
    }

    private static void Cvtpi2ps(CpuCore c, ref Uop u)
    {
        if (!MmxSourceOrMemory(c, ref u, out ulong a)) return;
        var env = SseFp.For(c.Mxcsr);
        var (r0, r1) = FromInts<Single32>(a, ref env);
        c.CommitSseFp(env);
        c.XmmQ(u.R0, 0) = r0 | (r1 << 32);
        if (u.R1 != Reg.None) c.EnterMmxState();
    }

    private static void Cvtpi2pd(CpuCore c, ref Uop u)
    {
        if (!MmxSourceOrMemory(c, ref u, out ulong a)) return;
        var env = SseFp.For(c.Mxcsr);
        var (r0, r1) = FromInts<Double64>(a, ref env);
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = Vector128.Create(r0, r1).AsByte();
        if (u.R1 != Reg.None) c.EnterMmxState();
    }

    private static void Cvtps2pi(CpuCore c, ref Uop u) => SinglesToMm(c, ref u, false);

    private static void Cvttps2pi(CpuCore c, ref Uop u) => SinglesToMm(c, ref u, true);

    private static void SinglesToMm(CpuCore c, ref Uop u, bool truncate)
    {
        if (!c.SseMmxReady()) return;
        ulong a = c.XmmScalarSource(ref u, 8);
        var env = SseFp.For(c.Mxcsr);
        ulong r = ToInts<Single32>((uint)a, a >> 32, truncate ? Mxcsr.RoundZero : env.Rounding, ref env);
        c.CommitSseFp(env);
        c.SetMm(u.R0, r);
        c.EnterMmxState();
    }

    private static void Cvtpd2pi(CpuCore c, ref Uop u) => DoublesToMm(c, ref u, false);

    private static void Cvttpd2pi(CpuCore c, ref Uop u) => DoublesToMm(c, ref u, true);

    private static void DoublesToMm(CpuCore c, ref Uop u, bool truncate)
    {
        if (!c.SseMmxReady()) return;
        var a = c.XmmSource(ref u).AsUInt64();
        var env = SseFp.For(c.Mxcsr);
        ulong r = ToInts<Double64>(a[0], a[1], truncate ? Mxcsr.RoundZero : env.Rounding, ref env);
        c.CommitSseFp(env);
        c.SetMm(u.R0, r);
        c.EnterMmxState();
    }
}
