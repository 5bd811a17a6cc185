using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// SSE/SSE2/SSE3/SSE4.1 data movement between XMM registers, memory and GPRs (SDM Vol. 1 §10.4.1, §11.4.1.1,
/// §11.4.3.1, §12.3.2): the aligned moves (MOVAPS/MOVAPD/MOVDQA, the non-temporal MOVNTPS/MOVNTPD/MOVNTDQ/MOVNTDQA,
/// all #GP(0) on a misaligned operand), the unaligned ones (MOVUPS/MOVUPD/MOVDQU/LDDQU), scalar and half moves, MOVD/MOVQ,
/// the duplicating loads and the sign-mask extractions. Non-temporal hints change nothing here: there is no cache.
/// </summary>
internal static unsafe class SseMove
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(&LoadAligned, false, Code.Movaps_xmm_xmmm128, Code.Movapd_xmm_xmmm128, Code.Movdqa_xmm_xmmm128,
            Code.Movntdqa_xmm_m128);
        HandlerTable.Register(&LoadUnaligned, false, Code.Movups_xmm_xmmm128, Code.Movupd_xmm_xmmm128, Code.Movdqu_xmm_xmmm128,
            Code.Lddqu_xmm_m128);
        HandlerTable.Register(&StoreAligned, false, Code.Movaps_xmmm128_xmm, Code.Movapd_xmmm128_xmm, Code.Movdqa_xmmm128_xmm,
            Code.Movntps_m128_xmm, Code.Movntpd_m128_xmm, Code.Movntdq_m128_xmm);
        HandlerTable.Register(&StoreUnaligned, false, Code.Movups_xmmm128_xmm, Code.Movupd_xmmm128_xmm, Code.Movdqu_xmmm128_xmm);
        HandlerTable.Register(Code.Movss_xmm_xmmm32, &MovssLoad);
        HandlerTable.Register(Code.Movss_xmmm32_xmm, &MovssStore);
        HandlerTable.Register(Code.Movsd_xmm_xmmm64, &MovsdLoad);
        HandlerTable.Register(Code.Movsd_xmmm64_xmm, &MovsdStore);
        HandlerTable.Register(&LoadLow, false, Code.Movlps_xmm_m64, Code.Movlpd_xmm_m64);
        HandlerTable.Register(&StoreLow, false, Code.Movlps_m64_xmm, Code.Movlpd_m64_xmm);
        HandlerTable.Register(&LoadHigh, false, Code.Movhps_xmm_m64, Code.Movhpd_xmm_m64);
        HandlerTable.Register(&StoreHigh, false, Code.Movhps_m64_xmm, Code.Movhpd_m64_xmm);
        HandlerTable.Register(Code.Movhlps_xmm_xmm, &Movhlps);
        HandlerTable.Register(Code.Movlhps_xmm_xmm, &Movlhps);
        HandlerTable.Register(Code.Movd_xmm_rm32, &MovdToXmm);
        HandlerTable.Register(Code.Movq_xmm_rm64, &MovqToXmm);
        HandlerTable.Register(Code.Movd_rm32_xmm, &MovdFromXmm);
        HandlerTable.Register(Code.Movq_rm64_xmm, &MovqFromXmm);
        HandlerTable.Register(Code.Movq_xmm_xmmm64, &MovqLoad);
        HandlerTable.Register(Code.Movq_xmmm64_xmm, &MovqStore);
        HandlerTable.Register(Code.Movddup_xmm_xmmm64, &Movddup);
        HandlerTable.Register(Code.Movsldup_xmm_xmmm128, &Movsldup);
        HandlerTable.Register(Code.Movshdup_xmm_xmmm128, &Movshdup);
        HandlerTable.Register(&Movmskps, false, Code.Movmskps_r32_xmm, Code.Movmskps_r64_xmm);
        HandlerTable.Register(&Movmskpd, false, Code.Movmskpd_r32_xmm, Code.Movmskpd_r64_xmm);
        HandlerTable.Register(&PmovmskbXmm, false, Code.Pmovmskb_r32_xmm, Code.Pmovmskb_r64_xmm);
        HandlerTable.Register(Code.Maskmovdqu_rDI_xmm_xmm, &Maskmovdqu);
        HandlerTable.Register(Code.Movnti_m32_r32, &Movnti32);
        HandlerTable.Register(Code.Movnti_m64_r64, &Movnti64);
    }

    private static void LoadAligned(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.XmmRef(u.R0) = c.XmmSource(ref u, aligned: true);
    }

    private static void LoadUnaligned(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.XmmRef(u.R0) = c.XmmSource(ref u, aligned: false);
    }

    private static void StoreAligned(CpuCore c, ref Uop u) => Store128(c, ref u, true);

    private static void StoreUnaligned(CpuCore c, ref Uop u) => Store128(c, ref u, false);

    // op xmm2/m128, xmm1: R0 is the destination register, or Reg.None for memory.
    private static void Store128(CpuCore c, ref Uop u, bool aligned)
    {
        c.SseCheck();
        var v = c.XmmRef(u.R1);
        if (u.R0 != Reg.None) c.XmmRef(u.R0) = v;
        else c.Write128(c.SimdAddress16(ref u, true, aligned), v);
    }

    // MOVSS xmm1, xmm2 merges the low element; MOVSS xmm1, m32 zeroes the rest (SDM Vol. 2B MOVSS). Likewise MOVSD.
    private static void MovssLoad(CpuCore c, ref Uop u) => ScalarLoad(c, ref u, 4);

    private static void MovssStore(CpuCore c, ref Uop u) => ScalarStore(c, ref u, 4);

    private static void MovsdLoad(CpuCore c, ref Uop u) => ScalarLoad(c, ref u, 8);

    private static void MovsdStore(CpuCore c, ref Uop u) => ScalarStore(c, ref u, 8);

    private static void ScalarLoad(CpuCore c, ref Uop u, int size)
    {
        c.SseCheck();
        if (u.R1 == Reg.None) c.XmmRef(u.R0) = Vector128.CreateScalar(c.ReadSized(c.SimdAddress(ref u, size, false), size)).AsByte();
        else if (size == 4) c.XmmD(u.R0, 0) = c.XmmD(u.R1, 0);
        else c.XmmQ(u.R0, 0) = c.XmmQ(u.R1, 0);
    }

    private static void ScalarStore(CpuCore c, ref Uop u, int size)
    {
        c.SseCheck();
        if (u.R0 == Reg.None) c.WriteSized(c.SimdAddress(ref u, size, true), size, c.XmmQ(u.R1, 0));
        else if (size == 4) c.XmmD(u.R0, 0) = c.XmmD(u.R1, 0);
        else c.XmmQ(u.R0, 0) = c.XmmQ(u.R1, 0);
    }

    // MOVLPS/MOVLPD/MOVHPS/MOVHPD: one quadword between memory and the low or high half.
    private static void LoadLow(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.XmmQ(u.R0, 0) = c.Read64(c.SimdAddress(ref u, 8, false));
    }

    private static void StoreLow(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.Write64(c.SimdAddress(ref u, 8, true), c.XmmQ(u.R1, 0));
    }

    private static void LoadHigh(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.XmmQ(u.R0, 1) = c.Read64(c.SimdAddress(ref u, 8, false));
    }

    private static void StoreHigh(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.Write64(c.SimdAddress(ref u, 8, true), c.XmmQ(u.R1, 1));
    }

    private static void Movhlps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.XmmQ(u.R0, 0) = c.XmmQ(u.R1, 1);
    }

    private static void Movlhps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.XmmQ(u.R0, 1) = c.XmmQ(u.R1, 0);
    }

    // MOVD/MOVQ xmm, r/m: zero-extended to 128 bits.
    private static void MovdToXmm(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        uint v = u.R1 != Reg.None ? c.Get32(u.R1) : c.Read32(c.SimdAddress(ref u, 4, false));
        c.XmmRef(u.R0) = Vector128.CreateScalar(v).AsByte();
    }

    private static void MovqToXmm(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong v = u.R1 != Reg.None ? c.Get64(u.R1) : c.Read64(c.SimdAddress(ref u, 8, false));
        c.XmmRef(u.R0) = Vector128.CreateScalar(v).AsByte();
    }

    private static void MovdFromXmm(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        uint v = c.XmmD(u.R1, 0);
        if (u.R0 != Reg.None) c.Set32(u.R0, v);
        else c.Write32(c.SimdAddress(ref u, 4, true), v);
    }

    private static void MovqFromXmm(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong v = c.XmmQ(u.R1, 0);
        if (u.R0 != Reg.None) c.Set64(u.R0, v);
        else c.Write64(c.SimdAddress(ref u, 8, true), v);
    }

    // MOVQ xmm1, xmm2/m64 (F3 0F 7E) and MOVQ xmm2/m64, xmm1 (66 0F D6): a register destination's high half is zeroed.
    private static void MovqLoad(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong v = c.XmmScalarSource(ref u, 8);
        c.XmmRef(u.R0) = Vector128.CreateScalar(v).AsByte();
    }

    private static void MovqStore(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong v = c.XmmQ(u.R1, 0);
        if (u.R0 != Reg.None) c.XmmRef(u.R0) = Vector128.CreateScalar(v).AsByte();
        else c.Write64(c.SimdAddress(ref u, 8, true), v);
    }

    // SSE3 duplicating loads.
    private static void Movddup(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        ulong v = c.XmmScalarSource(ref u, 8);
        c.XmmRef(u.R0) = Vector128.Create(v, v).AsByte();
    }

    private static void Movsldup(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var s = c.XmmSource(ref u).AsUInt32();
        c.XmmRef(u.R0) = Vector128.Create(s[0], s[0], s[2], s[2]).AsByte();
    }

    private static void Movshdup(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var s = c.XmmSource(ref u).AsUInt32();
        c.XmmRef(u.R0) = Vector128.Create(s[1], s[1], s[3], s[3]).AsByte();
    }

    // The sign bits of the elements into the low bits of a GPR, the rest cleared.
    private static void Movmskps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.Set64(u.R0, c.XmmRef(u.R1).AsUInt32().ExtractMostSignificantBits());
    }

    private static void Movmskpd(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.Set64(u.R0, c.XmmRef(u.R1).AsUInt64().ExtractMostSignificantBits());
    }

    private static void PmovmskbXmm(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.Set64(u.R0, c.XmmRef(u.R1).ExtractMostSignificantBits());
    }

    // MASKMOVDQU: the bytes of xmm1 whose mask byte in xmm2 has bit 7 set are stored at DS:rDI (segment overridable).
    private static void Maskmovdqu(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var data = c.XmmRef(u.R1);   // operand 0 is the implicit [rDI]
        uint mask = c.XmmRef(u.R2).ExtractMostSignificantBits();
        MaskedStore(c, ref u, mask, 16, data);
    }

    /// <summary>
    /// The store of MASKMOVDQU/MASKMOVQ: nothing is accessed when the mask is zero (the SDM leaves faults then to the
    /// implementation); otherwise the whole operand is checked for writing before any selected byte is written.
    /// </summary>
    internal static void MaskedStore(CpuCore c, ref Uop u, uint mask, int size, Vector128<byte> data)
    {
        if (mask == 0) return;
        ulong addressMask = u.Instr.Op0Kind switch { OpKind.MemorySegDI => 0xFFFF, OpKind.MemorySegEDI => 0xFFFF_FFFF, _ => ulong.MaxValue };
        ulong la = c.LinearAddress(u.Seg, c.Get64(Reg.RDI) & addressMask, size, true);
        c.Translate(la, AccessKind.Write);
        c.Translate(la + (ulong)size - 1, AccessKind.Write);
        for (int i = 0; i < size; i++)
            if ((mask & (1u << i)) != 0) c.Write8(la + (ulong)i, data.GetElement(i));
    }

    // MOVNTI (SSE2): a GPR store with a non-temporal hint; an integer instruction, so no CR0/CR4 SIMD checks.
    private static void Movnti32(CpuCore c, ref Uop u) => c.Write32(c.OperandAddress(ref u, 4, true), c.Get32(u.R1));

    private static void Movnti64(CpuCore c, ref Uop u) => c.Write64(c.OperandAddress(ref u, 8, true), c.Get64(u.R1));
}
