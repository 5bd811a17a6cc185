using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// MMX data movement and state (SDM Vol. 1 ch. 9; Vol. 2 MOVD/MOVQ, EMMS) and the SSE/SSE2 instructions on MMX
/// registers that are not element-wise arithmetic (PSHUFW, PEXTRW, PINSRW, PMOVMSKB, MASKMOVQ, MOVNTQ, MOVQ2DQ,
/// MOVDQ2Q). MMX registers alias the significands of the x87 registers R0–R7: every instruction here except EMMS sets
/// TOP to 0 and every tag to valid, a write sets the register's sign and exponent bits to ones, and EMMS marks every
/// register empty (SDM Vol. 1 §9.5).
/// </summary>
internal static unsafe class Mmx
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Emms, &Emms);
        HandlerTable.Register(Code.Movd_mm_rm32, &MovdToMm);
        HandlerTable.Register(Code.Movq_mm_rm64, &MovqToMm);
        HandlerTable.Register(Code.Movd_rm32_mm, &MovdFromMm);
        HandlerTable.Register(Code.Movq_rm64_mm, &MovqFromMm);
        HandlerTable.Register(Code.Movq_mm_mmm64, &MovqLoad);
        HandlerTable.Register(&MovqStore, false, Code.Movq_mmm64_mm, Code.Movntq_m64_mm);
        HandlerTable.Register(Code.Movq2dq_xmm_mm, &Movq2dq);
        HandlerTable.Register(Code.Movdq2q_mm_xmm, &Movdq2q);
        HandlerTable.Register(Code.Pshufw_mm_mmm64_imm8, &Pshufw);
        HandlerTable.Register(&PextrwMm, false, Code.Pextrw_r32_mm_imm8, Code.Pextrw_r64_mm_imm8);
        HandlerTable.Register(&PinsrwMm, false, Code.Pinsrw_mm_r32m16_imm8, Code.Pinsrw_mm_r64m16_imm8);
        HandlerTable.Register(&PmovmskbMm, false, Code.Pmovmskb_r32_mm, Code.Pmovmskb_r64_mm);
        HandlerTable.Register(Code.Maskmovq_rDI_mm_mm, &Maskmovq);
        HandlerTable.Register(Code.Palignr_mm_mmm64_imm8, &PalignrMm);
    }

    // EMMS: every x87 register empty (tag word FFFFh); #UD with CR0.EM, #NM with CR0.TS, #MF for a pending x87 exception.
    private static void Emms(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        c.Ftw = 0xFFFF;
    }

    private static void MovdToMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        uint v = u.R1 != Reg.None ? c.Get32(u.R1) : c.Read32(c.SimdAddress(ref u, 4, false));
        c.SetMm(u.R0, v);
        c.EnterMmxState();
    }

    private static void MovqToMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        ulong v = u.R1 != Reg.None ? c.Get64(u.R1) : c.Read64(c.SimdAddress(ref u, 8, false));
        c.SetMm(u.R0, v);
        c.EnterMmxState();
    }

    private static void MovdFromMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        uint v = (uint)c.GetMm(u.R1);
        if (u.R0 != Reg.None) c.Set32(u.R0, v);
        else c.Write32(c.SimdAddress(ref u, 4, true), v);
        c.EnterMmxState();
    }

    private static void MovqFromMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        ulong v = c.GetMm(u.R1);
        if (u.R0 != Reg.None) c.Set64(u.R0, v);
        else c.Write64(c.SimdAddress(ref u, 8, true), v);
        c.EnterMmxState();
    }

    private static void MovqLoad(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        c.SetMm(u.R0, c.MmSource(ref u));
        c.EnterMmxState();
    }

    // MOVQ mm/m64, mm and MOVNTQ m64, mm.
    private static void MovqStore(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        ulong v = c.GetMm(u.R1);
        if (u.R0 != Reg.None) c.SetMm(u.R0, v);
        else c.Write64(c.SimdAddress(ref u, 8, true), v);
        c.EnterMmxState();
    }

    // MOVQ2DQ xmm, mm: zero-extended; MOVDQ2Q mm, xmm: the low quadword. SSE2 instructions that also switch to MMX state.
    private static void Movq2dq(CpuCore c, ref Uop u)
    {
        if (!c.SseMmxReady()) return;
        c.XmmRef(u.R0) = Vector128.CreateScalar(c.GetMm(u.R1)).AsByte();
        c.EnterMmxState();
    }

    private static void Movdq2q(CpuCore c, ref Uop u)
    {
        if (!c.SseMmxReady()) return;
        c.SetMm(u.R0, c.XmmQ(u.R1, 0));
        c.EnterMmxState();
    }

    // PSHUFW mm1, mm2/m64, imm8: word i of the result is source word (imm8 >> 2i) & 3.
    private static void Pshufw(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        ulong s = c.MmSource(ref u);
        ulong r = 0;
        for (int i = 0; i < 4; i++) r |= ((s >> (16 * (int)((u.Imm >> (2 * i)) & 3))) & 0xFFFF) << (16 * i);
        c.SetMm(u.R0, r);
        c.EnterMmxState();
    }

    // PEXTRW r32, mm, imm8: word imm8 & 3, zero-extended.
    private static void PextrwMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        c.Set64(u.R0, (c.GetMm(u.R1) >> (16 * (int)(u.Imm & 3))) & 0xFFFF);
        c.EnterMmxState();
    }

    // PINSRW mm, r32/m16, imm8: the low word of the source into word imm8 & 3.
    private static void PinsrwMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        ulong w = u.R1 != Reg.None ? c.Get16(u.R1) : c.Read16(c.SimdAddress(ref u, 2, false));
        int shift = 16 * (int)(u.Imm & 3);
        c.SetMm(u.R0, (c.GetMm(u.R0) & ~(0xFFFFUL << shift)) | (w << shift));
        c.EnterMmxState();
    }

    private static void PmovmskbMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        c.Set64(u.R0, Lanes.V(c.GetMm(u.R1)).ExtractMostSignificantBits() & 0xFF);
        c.EnterMmxState();
    }

    private static void Maskmovq(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        uint mask = Lanes.V(c.GetMm(u.R2)).ExtractMostSignificantBits() & 0xFF;   // operand 0 is the implicit [rDI]
        SseMove.MaskedStore(c, ref u, mask, 8, Lanes.V(c.GetMm(u.R1)));
        c.EnterMmxState();
    }

    // PALIGNR mm1, mm2/m64, imm8 (SSSE3): the 16-byte concatenation mm1:mm2 shifted right by imm8 bytes, low 8 bytes kept.
    private static void PalignrMm(CpuCore c, ref Uop u)
    {
        if (!c.MmxReady()) return;
        ulong b = c.MmSource(ref u);
        UInt128 x = (UInt128)c.GetMm(u.R0) << 64 | b;
        int n = (int)(u.Imm & 0xFF);
        c.SetMm(u.R0, n >= 16 ? 0 : (ulong)(x >> (8 * n)));
        c.EnterMmxState();
    }
}
