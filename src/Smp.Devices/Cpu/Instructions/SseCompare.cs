using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Floating-point comparisons (SDM Vol. 2A CMPPS/CMPPD/CMPSS/CMPSD, COMISS/COMISD, UCOMISS/UCOMISD): CMPxx writes an
/// all-ones or all-zeros mask per element for one of eight predicates (imm8 bits 2:0; the legacy encodings ignore
/// bits 7:3); COMIS/UCOMIS set ZF, PF and CF (111 unordered, 000 greater, 001 less, 100 equal) and clear OF, SF, AF.
/// </summary>
internal static unsafe class SseCompare
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Cmpps_xmm_xmmm128_imm8, &Packed<Single32>);
        HandlerTable.Register(Code.Cmppd_xmm_xmmm128_imm8, &Packed<Double64>);
        HandlerTable.Register(Code.Cmpss_xmm_xmmm32_imm8, &Scalar<Single32>);
        HandlerTable.Register(Code.Cmpsd_xmm_xmmm64_imm8, &Scalar<Double64>);
        HandlerTable.Register(Code.Comiss_xmm_xmmm32, &OrderedCompare<Single32>);
        HandlerTable.Register(Code.Comisd_xmm_xmmm64, &OrderedCompare<Double64>);
        HandlerTable.Register(Code.Ucomiss_xmm_xmmm32, &UnorderedCompare<Single32>);
        HandlerTable.Register(Code.Ucomisd_xmm_xmmm64, &UnorderedCompare<Double64>);
    }

    // Predicates 1, 2, 5 and 6 (LT, LE, NLT, NLE) signal on a QNaN; EQ, UNORD, NEQ and ORD only on an SNaN.
    private static bool Signalling(int predicate) => (predicate & 3) is 1 or 2;

    private static bool Holds(int predicate, FpRelation r) => (predicate & 7) switch
    {
        0 => r == FpRelation.Equal,
        1 => r == FpRelation.Less,
        2 => r is FpRelation.Less or FpRelation.Equal,
        3 => r == FpRelation.Unordered,
        4 => r != FpRelation.Equal,
        5 => r != FpRelation.Less,
        6 => r is not (FpRelation.Less or FpRelation.Equal),
        _ => r != FpRelation.Unordered,
    };

    private static ulong Mask<F>(bool holds) where F : struct, IFloatFormat =>
        !holds ? 0 : typeof(F) == typeof(Single32) ? 0xFFFF_FFFFUL : ulong.MaxValue;

    private static void Packed<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        var a = d;
        int predicate = (int)u.Imm & 7;
        var env = SseFp.For(c.Mxcsr);
        var r = a;
        for (int i = 0; i < SseFloat.Lanes<F>(); i++)
        {
            var rel = SoftFloat.Compare<F>(SseFloat.Lane<F>(a, i), SseFloat.Lane<F>(b, i), Signalling(predicate), ref env);
            r = SseFloat.WithLane<F>(r, i, Mask<F>(Holds(predicate, rel)));
        }
        c.CommitSseFp(env);
        d = r;
    }

    private static void Scalar<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat
    {
        c.SseCheck();
        ulong b = c.XmmScalarSource(ref u, typeof(F) == typeof(Single32) ? 4 : 8);
        ref var d = ref c.XmmRef(u.R0);
        int predicate = (int)u.Imm & 7;
        var env = SseFp.For(c.Mxcsr);
        var rel = SoftFloat.Compare<F>(SseFloat.Lane<F>(d, 0), b, Signalling(predicate), ref env);
        c.CommitSseFp(env);
        d = SseFloat.WithLane<F>(d, 0, Mask<F>(Holds(predicate, rel)));
    }

    private static void OrderedCompare<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat => CompareFlags<F>(c, ref u, true);

    private static void UnorderedCompare<F>(CpuCore c, ref Uop u) where F : struct, IFloatFormat => CompareFlags<F>(c, ref u, false);

    // COMISS/COMISD signal IE on any NaN, UCOMISS/UCOMISD only on an SNaN (SDM Vol. 2A COMISS, UCOMISS).
    private static void CompareFlags<F>(CpuCore c, ref Uop u, bool signalsQuiet) where F : struct, IFloatFormat
    {
        c.SseCheck();
        ulong b = c.XmmScalarSource(ref u, typeof(F) == typeof(Single32) ? 4 : 8);
        var env = SseFp.For(c.Mxcsr);
        var rel = SoftFloat.Compare<F>(SseFloat.Lane<F>(c.XmmRef(u.R0), 0), b, signalsQuiet, ref env);
        c.CommitSseFp(env);
        c.SetStatusFlags(rel switch
        {
            FpRelation.Unordered => Rflags.ZF | Rflags.PF | Rflags.CF,
            FpRelation.Less => Rflags.CF,
            FpRelation.Equal => Rflags.ZF,
            _ => 0,
        });
    }
}
