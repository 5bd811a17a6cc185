using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// SSE4.1 instructions that are neither moves nor element-wise integer operations (SDM Vol. 2 ROUNDPS/PD/SS/SD,
/// DPPS, DPPD, PTEST, MPSADBW, PHMINPOSUW).
/// </summary>
internal static unsafe class Sse41
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Roundps_xmm_xmmm128_imm8, &RoundPacked<Single32>);
        HandlerTable.Register(Code.Roundpd_xmm_xmmm128_imm8, &RoundPacked<Double64>);
        HandlerTable.Register(Code.Roundss_xmm_xmmm32_imm8, &RoundScalar<Single32>);
        HandlerTable.Register(Code.Roundsd_xmm_xmmm64_imm8, &RoundScalar<Double64>);
        HandlerTable.Register(Code.Dpps_xmm_xmmm128_imm8, &Dpps);
        HandlerTable.Register(Code.Dppd_xmm_xmmm128_imm8, &Dppd);
        HandlerTable.Register(Code.Ptest_xmm_xmmm128, &Ptest);
        HandlerTable.Register(Code.Mpsadbw_xmm_xmmm128_imm8, &Mpsadbw);
        HandlerTable.Register(Code.Phminposuw_xmm_xmmm128, &Phminposuw);
    }

    // imm8[2] = 1: round by MXCSR.RC, else by imm8[1:0]; imm8[3] = 1 suppresses the precision exception.
    private static int Rounding(ulong imm, in SseFp env) => (imm & 4) != 0 ? env.Rounding : (int)(imm & 3);

    private static void RoundPacked<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        var env = SseFp.For(c.Mxcsr);
        int rounding = Rounding(u.Imm, env);
        bool suppress = (u.Imm & 8) != 0;
        var r = b;
        for (int i = 0; i < SseFloat.Lanes<F>(); i++)
            r = SseFloat.WithLane<F>(r, i, SoftFloat.RoundToIntegral<F>(SseFloat.Lane<F>(b, i), rounding, suppress, ref env));
        c.CommitSseFp(env);
        c.XmmRef(u.R0) = r;
    }

    private static void RoundScalar<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat
    {
        c.SseCheck();
        ulong b = c.XmmScalarSource(ref u, typeof(F) == typeof(Single32) ? 4 : 8);
        var env = SseFp.For(c.Mxcsr);
        ulong r = SoftFloat.RoundToIntegral<F>(b, Rounding(u.Imm, env), (u.Imm & 8) != 0, ref env);
        c.CommitSseFp(env);
        ref var d = ref c.XmmRef(u.R0);
        d = SseFloat.WithLane<F>(d, 0, r);
    }

    // DPPS: products of the elements selected by imm8[7:4] (the others +0.0), summed pairwise ((0 + 1) + (2 + 3)),
    // the sum written to the elements selected by imm8[3:0] and +0.0 to the rest (SDM Vol. 2A DPPS "Operation").
    private static void Dpps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u).AsUInt32();
        ref var d = ref c.XmmRef(u.R0);
        var a = d.AsUInt32();
        var env = SseFp.For(c.Mxcsr);
        Span<ulong> t = stackalloc ulong[4];
        for (int i = 0; i < 4; i++)
            t[i] = (u.Imm & (0x10UL << i)) != 0 ? SoftFloat.Mul<Single32>(a[i], b[i], ref env) : 0;
        ulong low = SoftFloat.Add<Single32>(t[0], t[1], ref env);
        ulong high = SoftFloat.Add<Single32>(t[2], t[3], ref env);
        uint sum = (uint)SoftFloat.Add<Single32>(low, high, ref env);
        c.CommitSseFp(env);
        var r = Vector128<uint>.Zero;
        for (int i = 0; i < 4; i++)
            if ((u.Imm & (1UL << i)) != 0) r = r.WithElement(i, sum);
        d = r.AsByte();
    }

    // DPPD: the same with two doubles (products selected by imm8[5:4], results by imm8[1:0]).
    private static void Dppd(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u).AsUInt64();
        ref var d = ref c.XmmRef(u.R0);
        var a = d.AsUInt64();
        var env = SseFp.For(c.Mxcsr);
        ulong t0 = (u.Imm & 0x10) != 0 ? SoftFloat.Mul<Double64>(a[0], b[0], ref env) : 0;
        ulong t1 = (u.Imm & 0x20) != 0 ? SoftFloat.Mul<Double64>(a[1], b[1], ref env) : 0;
        ulong sum = SoftFloat.Add<Double64>(t0, t1, ref env);
        c.CommitSseFp(env);
        d = Vector128.Create((u.Imm & 1) != 0 ? sum : 0, (u.Imm & 2) != 0 ? sum : 0).AsByte();
    }

    // PTEST: ZF = (dest AND src) = 0, CF = (NOT dest AND src) = 0; AF, OF, PF, SF cleared.
    private static void Ptest(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        var a = c.XmmRef(u.R0);
        ulong flags = 0;
        if ((a & b) == Vector128<byte>.Zero) flags |= Rflags.ZF;
        if ((~a & b) == Vector128<byte>.Zero) flags |= Rflags.CF;
        c.SetStatusFlags(flags);
    }

    // MPSADBW: eight sums of absolute differences between the 4-byte source block imm8[1:0] and the eight 4-byte
    // windows of the destination starting at byte 4·imm8[2] + i.
    private static void Mpsadbw(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        var a = d;
        int src = 4 * (int)(u.Imm & 3), dst = 4 * (int)((u.Imm >> 2) & 1);
        var r = Vector128<ushort>.Zero;
        for (int i = 0; i < 8; i++)
        {
            int sum = 0;
            for (int k = 0; k < 4; k++) sum += Math.Abs(a[dst + i + k] - b[src + k]);
            r = r.WithElement(i, (ushort)sum);
        }
        d = r.AsByte();
    }

    // PHMINPOSUW: the smallest unsigned word in bits 15:0, the index of its first occurrence in bits 18:16, the rest zero.
    private static void Phminposuw(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var s = c.XmmSource(ref u).AsUInt16();
        int index = 0;
        for (int i = 1; i < 8; i++)
            if (s[i] < s[index]) index = i;
        c.XmmRef(u.R0) = Vector128.CreateScalar((uint)s[index] | ((uint)index << 16)).AsByte();
    }
}
