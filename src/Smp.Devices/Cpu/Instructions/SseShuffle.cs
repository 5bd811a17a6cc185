using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Shuffles, inserts, extracts and blends on XMM registers (SDM Vol. 2 SHUFPS/SHUFPD, UNPCKxPS/PD, PSHUFD/HW/LW,
/// PALIGNR, PEXTRx/PINSRx, EXTRACTPS/INSERTPS, BLENDPS/PD, PBLENDW, BLENDVPS/PD, PBLENDVB, PMOVSX/ZX) and the FP
/// logical operations, which are bitwise and share the integer ones.
/// </summary>
internal static unsafe class SseShuffle
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Shufps_xmm_xmmm128_imm8, &Shufps);
        HandlerTable.Register(Code.Shufpd_xmm_xmmm128_imm8, &Shufpd);
        HandlerTable.Register(Code.Unpcklps_xmm_xmmm128, &Xmm<PunpcklDQ>);
        HandlerTable.Register(Code.Unpckhps_xmm_xmmm128, &Xmm<PunpckhDQ>);
        HandlerTable.Register(Code.Unpcklpd_xmm_xmmm128, &Xmm<PunpcklQDQ>);
        HandlerTable.Register(Code.Unpckhpd_xmm_xmmm128, &Xmm<PunpckhQDQ>);
        HandlerTable.Register(&Xmm<Pand>, false, Code.Andps_xmm_xmmm128, Code.Andpd_xmm_xmmm128);
        HandlerTable.Register(&Xmm<Pandn>, false, Code.Andnps_xmm_xmmm128, Code.Andnpd_xmm_xmmm128);
        HandlerTable.Register(&Xmm<Por>, false, Code.Orps_xmm_xmmm128, Code.Orpd_xmm_xmmm128);
        HandlerTable.Register(&Xmm<Pxor>, false, Code.Xorps_xmm_xmmm128, Code.Xorpd_xmm_xmmm128);
        HandlerTable.Register(Code.Pshufd_xmm_xmmm128_imm8, &Pshufd);
        HandlerTable.Register(Code.Pshufhw_xmm_xmmm128_imm8, &Pshufhw);
        HandlerTable.Register(Code.Pshuflw_xmm_xmmm128_imm8, &Pshuflw);
        HandlerTable.Register(Code.Palignr_xmm_xmmm128_imm8, &Palignr);
        HandlerTable.Register(&PextrwXmm, false, Code.Pextrw_r32_xmm_imm8, Code.Pextrw_r64_xmm_imm8);
        HandlerTable.Register(&Pextrw, false, Code.Pextrw_r32m16_xmm_imm8, Code.Pextrw_r64m16_xmm_imm8);
        HandlerTable.Register(&Pextrb, false, Code.Pextrb_r32m8_xmm_imm8, Code.Pextrb_r64m8_xmm_imm8);
        HandlerTable.Register(&Pextrd, false, Code.Pextrd_rm32_xmm_imm8, Code.Extractps_rm32_xmm_imm8, Code.Extractps_r64m32_xmm_imm8);
        HandlerTable.Register(Code.Pextrq_rm64_xmm_imm8, &Pextrq);
        HandlerTable.Register(&Pinsrw, false, Code.Pinsrw_xmm_r32m16_imm8, Code.Pinsrw_xmm_r64m16_imm8);
        HandlerTable.Register(&Pinsrb, false, Code.Pinsrb_xmm_r32m8_imm8, Code.Pinsrb_xmm_r64m8_imm8);
        HandlerTable.Register(Code.Pinsrd_xmm_rm32_imm8, &Pinsrd);
        HandlerTable.Register(Code.Pinsrq_xmm_rm64_imm8, &Pinsrq);
        HandlerTable.Register(Code.Insertps_xmm_xmmm32_imm8, &Insertps);
        HandlerTable.Register(Code.Blendps_xmm_xmmm128_imm8, &Blendps);
        HandlerTable.Register(Code.Blendpd_xmm_xmmm128_imm8, &Blendpd);
        HandlerTable.Register(Code.Pblendw_xmm_xmmm128_imm8, &Pblendw);
        HandlerTable.Register(Code.Blendvps_xmm_xmmm128, &Blendvps);
        HandlerTable.Register(Code.Blendvpd_xmm_xmmm128, &Blendvpd);
        HandlerTable.Register(Code.Pblendvb_xmm_xmmm128, &Pblendvb);
        HandlerTable.Register(Code.Pmovsxbw_xmm_xmmm64, &Pmovsxbw);
        HandlerTable.Register(Code.Pmovsxbd_xmm_xmmm32, &Pmovsxbd);
        HandlerTable.Register(Code.Pmovsxbq_xmm_xmmm16, &Pmovsxbq);
        HandlerTable.Register(Code.Pmovsxwd_xmm_xmmm64, &Pmovsxwd);
        HandlerTable.Register(Code.Pmovsxwq_xmm_xmmm32, &Pmovsxwq);
        HandlerTable.Register(Code.Pmovsxdq_xmm_xmmm64, &Pmovsxdq);
        HandlerTable.Register(Code.Pmovzxbw_xmm_xmmm64, &Pmovzxbw);
        HandlerTable.Register(Code.Pmovzxbd_xmm_xmmm32, &Pmovzxbd);
        HandlerTable.Register(Code.Pmovzxbq_xmm_xmmm16, &Pmovzxbq);
        HandlerTable.Register(Code.Pmovzxwd_xmm_xmmm64, &Pmovzxwd);
        HandlerTable.Register(Code.Pmovzxwq_xmm_xmmm32, &Pmovzxwq);
        HandlerTable.Register(Code.Pmovzxdq_xmm_xmmm64, &Pmovzxdq);
    }

    private static void Xmm<T>(CpuCore c, ref Uop u) where T : struct, IIntOp
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        d = T.Xmm(d, b);
    }

    private static void Shufps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u).AsUInt32();
        ref var d = ref c.XmmRef(u.R0);
        var a = d.AsUInt32();
        int i = (int)u.Imm;
        d = Vector128.Create(a[i & 3], a[(i >> 2) & 3], b[(i >> 4) & 3], b[(i >> 6) & 3]).AsByte();
    }

    private static void Shufpd(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u).AsUInt64();
        ref var d = ref c.XmmRef(u.R0);
        var a = d.AsUInt64();
        d = Vector128.Create(a[(int)u.Imm & 1], b[(int)(u.Imm >> 1) & 1]).AsByte();
    }

    private static void Pshufd(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var s = c.XmmSource(ref u).AsUInt32();
        int i = (int)u.Imm;
        c.XmmRef(u.R0) = Vector128.Create(s[i & 3], s[(i >> 2) & 3], s[(i >> 4) & 3], s[(i >> 6) & 3]).AsByte();
    }

    // PSHUFHW shuffles the high four words and copies the low quadword; PSHUFLW the reverse.
    private static void Pshufhw(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var s = c.XmmSource(ref u).AsUInt64();
        c.XmmRef(u.R0) = Vector128.Create(s[0], ShuffleWords(s[1], (int)u.Imm)).AsByte();
    }

    private static void Pshuflw(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var s = c.XmmSource(ref u).AsUInt64();
        c.XmmRef(u.R0) = Vector128.Create(ShuffleWords(s[0], (int)u.Imm), s[1]).AsByte();
    }

    private static ulong ShuffleWords(ulong q, int imm)
    {
        ulong r = 0;
        for (int i = 0; i < 4; i++) r |= ((q >> (16 * ((imm >> (2 * i)) & 3))) & 0xFFFF) << (16 * i);
        return r;
    }

    // PALIGNR xmm1, xmm2/m128, imm8: the 32-byte concatenation xmm1:xmm2 shifted right by imm8 bytes, low 16 kept.
    private static void Palignr(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        Span<byte> x = stackalloc byte[32];
        b.CopyTo(x);
        d.CopyTo(x[16..]);
        Span<byte> r = stackalloc byte[16];
        int n = (int)(u.Imm & 0xFF);
        for (int i = 0; i < 16; i++) r[i] = n + i < 32 ? x[n + i] : (byte)0;
        d = Vector128.Create<byte>(r);
    }

    // ---- extract ------------------------------------------------------------------------------------------------

    // PEXTRW r32, xmm, imm8 (SSE2): word imm8 & 7, zero-extended.
    private static void PextrwXmm(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.Set64(u.R0, c.XmmRef(u.R1).AsUInt16().GetElement((int)u.Imm & 7));
    }

    // PEXTRB/PEXTRW (SSE4.1 forms) and PEXTRD/EXTRACTPS: to a GPR (zero-extended) or to memory.
    private static void Pextrb(CpuCore c, ref Uop u) => Extract(c, ref u, 1, c.XmmRef(u.R1).GetElement((int)u.Imm & 15));

    private static void Pextrw(CpuCore c, ref Uop u) => Extract(c, ref u, 2, c.XmmRef(u.R1).AsUInt16().GetElement((int)u.Imm & 7));

    private static void Pextrd(CpuCore c, ref Uop u) => Extract(c, ref u, 4, c.XmmD(u.R1, (int)u.Imm & 3));

    private static void Pextrq(CpuCore c, ref Uop u) => Extract(c, ref u, 8, c.XmmQ(u.R1, (int)u.Imm & 1));

    private static void Extract(CpuCore c, ref Uop u, int size, ulong value)
    {
        c.SseCheck();
        if (u.R0 != Reg.None) c.Set64(u.R0, value);
        else c.WriteSized(c.SimdAddress(ref u, size, true), size, value);
    }

    // ---- insert ---------------------------------------------------------------------------------------------------

    private static ulong InsertSource(CpuCore c, ref Uop u, int size)
    {
        c.SseCheck();
        return u.R1 != Reg.None ? c.Get64(u.R1) : c.ReadSized(c.SimdAddress(ref u, size, false), size);
    }

    private static void Pinsrw(CpuCore c, ref Uop u)
    {
        ulong v = InsertSource(c, ref u, 2);
        ref var d = ref c.XmmRef(u.R0);
        d = d.AsUInt16().WithElement((int)u.Imm & 7, (ushort)v).AsByte();
    }

    private static void Pinsrb(CpuCore c, ref Uop u)
    {
        ulong v = InsertSource(c, ref u, 1);
        ref var d = ref c.XmmRef(u.R0);
        d = d.WithElement((int)u.Imm & 15, (byte)v);
    }

    private static void Pinsrd(CpuCore c, ref Uop u)
    {
        ulong v = InsertSource(c, ref u, 4);
        c.XmmD(u.R0, (int)u.Imm & 3) = (uint)v;
    }

    private static void Pinsrq(CpuCore c, ref Uop u)
    {
        ulong v = InsertSource(c, ref u, 8);
        c.XmmQ(u.R0, (int)u.Imm & 1) = v;
    }

    // INSERTPS xmm1, xmm2/m32, imm8: element imm8[7:6] of xmm2 (a memory operand is the element itself) into
    // element imm8[5:4], then the elements selected by imm8[3:0] cleared.
    private static void Insertps(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        int imm = (int)u.Imm;
        uint v = u.R1 != Reg.None ? c.XmmD(u.R1, (imm >> 6) & 3) : c.Read32(c.SimdAddress(ref u, 4, false));
        ref var d = ref c.XmmRef(u.R0);
        var r = d.AsUInt32().WithElement((imm >> 4) & 3, v);
        for (int i = 0; i < 4; i++)
            if ((imm & (1 << i)) != 0) r = r.WithElement(i, 0u);
        d = r.AsByte();
    }

    // ---- blends -----------------------------------------------------------------------------------------------------

    private static void Blendps(CpuCore c, ref Uop u) => Blend(c, ref u, 4);

    private static void Blendpd(CpuCore c, ref Uop u) => Blend(c, ref u, 8);

    private static void Pblendw(CpuCore c, ref Uop u) => Blend(c, ref u, 2);

    // BLENDPS/BLENDPD/PBLENDW: element i from the source when imm8 bit i is set.
    private static void Blend(CpuCore c, ref Uop u, int elementBytes)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        var mask = Vector128<byte>.Zero;
        for (int i = 0; i < 16; i++)
            if ((u.Imm & (1UL << (i / elementBytes))) != 0) mask = mask.WithElement(i, (byte)0xFF);
        ref var d = ref c.XmmRef(u.R0);
        d = Vector128.ConditionalSelect(mask, b, d);
    }

    private static void Blendvps(CpuCore c, ref Uop u) => BlendVariable(c, ref u, Vector128.ShiftRightArithmetic(c.XmmRef(0).AsInt32(), 31).AsByte());

    private static void Blendvpd(CpuCore c, ref Uop u) => BlendVariable(c, ref u, Vector128.ShiftRightArithmetic(c.XmmRef(0).AsInt64(), 63).AsByte());

    private static void Pblendvb(CpuCore c, ref Uop u) => BlendVariable(c, ref u, Vector128.ShiftRightArithmetic(c.XmmRef(0).AsSByte(), 7).AsByte());

    // BLENDVPS/BLENDVPD/PBLENDVB: each element from the source where the sign bit of the matching element of XMM0 is set.
    private static void BlendVariable(CpuCore c, ref Uop u, Vector128<byte> mask)
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        d = Vector128.ConditionalSelect(mask, b, d);
    }

    // ---- PMOVSX/PMOVZX ------------------------------------------------------------------------------------------------

    private static void Pmovsxbw(CpuCore c, ref Uop u) => Extend(c, ref u, 1, 2, true);
    private static void Pmovsxbd(CpuCore c, ref Uop u) => Extend(c, ref u, 1, 4, true);
    private static void Pmovsxbq(CpuCore c, ref Uop u) => Extend(c, ref u, 1, 8, true);
    private static void Pmovsxwd(CpuCore c, ref Uop u) => Extend(c, ref u, 2, 4, true);
    private static void Pmovsxwq(CpuCore c, ref Uop u) => Extend(c, ref u, 2, 8, true);
    private static void Pmovsxdq(CpuCore c, ref Uop u) => Extend(c, ref u, 4, 8, true);
    private static void Pmovzxbw(CpuCore c, ref Uop u) => Extend(c, ref u, 1, 2, false);
    private static void Pmovzxbd(CpuCore c, ref Uop u) => Extend(c, ref u, 1, 4, false);
    private static void Pmovzxbq(CpuCore c, ref Uop u) => Extend(c, ref u, 1, 8, false);
    private static void Pmovzxwd(CpuCore c, ref Uop u) => Extend(c, ref u, 2, 4, false);
    private static void Pmovzxwq(CpuCore c, ref Uop u) => Extend(c, ref u, 2, 8, false);
    private static void Pmovzxdq(CpuCore c, ref Uop u) => Extend(c, ref u, 4, 8, false);

    // The low elements of the source widened with sign or zero extension; a memory operand is only as large as they are.
    private static void Extend(CpuCore c, ref Uop u, int from, int to, bool signed)
    {
        c.SseCheck();
        int count = 16 / to;
        int size = count * from;
        ulong raw = u.R1 != Reg.None ? c.XmmQ(u.R1, 0) : c.ReadSized(c.SimdAddress(ref u, size, false), size);
        UInt128 r = 0;
        int fromBits = 8 * from, toBits = 8 * to;
        for (int i = 0; i < count; i++)
        {
            ulong e = (raw >> (i * fromBits)) & ((1UL << fromBits) - 1);
            if (signed && (e >> (fromBits - 1)) != 0) e |= ~0UL << fromBits;
            if (toBits < 64) e &= (1UL << toBits) - 1;
            r |= (UInt128)e << (i * toBits);
        }
        c.XmmRef(u.R0) = Vector128.Create((ulong)r, (ulong)(r >> 64)).AsByte();
    }
}
