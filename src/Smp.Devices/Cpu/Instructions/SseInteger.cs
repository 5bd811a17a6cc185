using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Packed-integer arithmetic, comparison, logic, unpack and pack instructions of MMX, SSE, SSE2, SSSE3 and SSE4.1/4.2
/// (SDM Vol. 1 §9.4, §10.4.4, §11.4.3, §12.9, §12.10), in their MMX (64-bit) and XMM (128-bit) forms. The operation
/// itself is an <see cref="IIntOp"/>; these handlers fetch operands with the availability checks of each form: an
/// XMM form is an SSE instruction (#UD without CR4.OSFXSR, 16-byte aligned memory), an MMX form an MMX instruction
/// (#MF for a pending x87 exception, then the switch to MMX state).
/// </summary>
internal static unsafe class SseInteger
{
    [InstructionFamily]
    internal static void Register()
    {
        Both<PaddB>(Code.Paddb_mm_mmm64, Code.Paddb_xmm_xmmm128);
        Both<PaddW>(Code.Paddw_mm_mmm64, Code.Paddw_xmm_xmmm128);
        Both<PaddD>(Code.Paddd_mm_mmm64, Code.Paddd_xmm_xmmm128);
        Both<PaddQ>(Code.Paddq_mm_mmm64, Code.Paddq_xmm_xmmm128);
        Both<PsubB>(Code.Psubb_mm_mmm64, Code.Psubb_xmm_xmmm128);
        Both<PsubW>(Code.Psubw_mm_mmm64, Code.Psubw_xmm_xmmm128);
        Both<PsubD>(Code.Psubd_mm_mmm64, Code.Psubd_xmm_xmmm128);
        Both<PsubQ>(Code.Psubq_mm_mmm64, Code.Psubq_xmm_xmmm128);
        Both<PaddSB>(Code.Paddsb_mm_mmm64, Code.Paddsb_xmm_xmmm128);
        Both<PaddSW>(Code.Paddsw_mm_mmm64, Code.Paddsw_xmm_xmmm128);
        Both<PaddUSB>(Code.Paddusb_mm_mmm64, Code.Paddusb_xmm_xmmm128);
        Both<PaddUSW>(Code.Paddusw_mm_mmm64, Code.Paddusw_xmm_xmmm128);
        Both<PsubSB>(Code.Psubsb_mm_mmm64, Code.Psubsb_xmm_xmmm128);
        Both<PsubSW>(Code.Psubsw_mm_mmm64, Code.Psubsw_xmm_xmmm128);
        Both<PsubUSB>(Code.Psubusb_mm_mmm64, Code.Psubusb_xmm_xmmm128);
        Both<PsubUSW>(Code.Psubusw_mm_mmm64, Code.Psubusw_xmm_xmmm128);
        Both<PcmpeqB>(Code.Pcmpeqb_mm_mmm64, Code.Pcmpeqb_xmm_xmmm128);
        Both<PcmpeqW>(Code.Pcmpeqw_mm_mmm64, Code.Pcmpeqw_xmm_xmmm128);
        Both<PcmpeqD>(Code.Pcmpeqd_mm_mmm64, Code.Pcmpeqd_xmm_xmmm128);
        Both<PcmpgtB>(Code.Pcmpgtb_mm_mmm64, Code.Pcmpgtb_xmm_xmmm128);
        Both<PcmpgtW>(Code.Pcmpgtw_mm_mmm64, Code.Pcmpgtw_xmm_xmmm128);
        Both<PcmpgtD>(Code.Pcmpgtd_mm_mmm64, Code.Pcmpgtd_xmm_xmmm128);
        Both<Pand>(Code.Pand_mm_mmm64, Code.Pand_xmm_xmmm128);
        Both<Pandn>(Code.Pandn_mm_mmm64, Code.Pandn_xmm_xmmm128);
        Both<Por>(Code.Por_mm_mmm64, Code.Por_xmm_xmmm128);
        Both<Pxor>(Code.Pxor_mm_mmm64, Code.Pxor_xmm_xmmm128);
        Both<PmullW>(Code.Pmullw_mm_mmm64, Code.Pmullw_xmm_xmmm128);
        Both<PmulhW>(Code.Pmulhw_mm_mmm64, Code.Pmulhw_xmm_xmmm128);
        Both<PmulhUW>(Code.Pmulhuw_mm_mmm64, Code.Pmulhuw_xmm_xmmm128);
        Both<PmaddWD>(Code.Pmaddwd_mm_mmm64, Code.Pmaddwd_xmm_xmmm128);
        Both<PmulUDQ>(Code.Pmuludq_mm_mmm64, Code.Pmuludq_xmm_xmmm128);
        Both<PsadBW>(Code.Psadbw_mm_mmm64, Code.Psadbw_xmm_xmmm128);
        Both<PavgB>(Code.Pavgb_mm_mmm64, Code.Pavgb_xmm_xmmm128);
        Both<PavgW>(Code.Pavgw_mm_mmm64, Code.Pavgw_xmm_xmmm128);
        Both<PminUB>(Code.Pminub_mm_mmm64, Code.Pminub_xmm_xmmm128);
        Both<PmaxUB>(Code.Pmaxub_mm_mmm64, Code.Pmaxub_xmm_xmmm128);
        Both<PminSW>(Code.Pminsw_mm_mmm64, Code.Pminsw_xmm_xmmm128);
        Both<PmaxSW>(Code.Pmaxsw_mm_mmm64, Code.Pmaxsw_xmm_xmmm128);
        Both<PunpckhBW>(Code.Punpckhbw_mm_mmm64, Code.Punpckhbw_xmm_xmmm128);
        Both<PunpckhWD>(Code.Punpckhwd_mm_mmm64, Code.Punpckhwd_xmm_xmmm128);
        Both<PunpckhDQ>(Code.Punpckhdq_mm_mmm64, Code.Punpckhdq_xmm_xmmm128);
        Both<PacksSWB>(Code.Packsswb_mm_mmm64, Code.Packsswb_xmm_xmmm128);
        Both<PackUSWB>(Code.Packuswb_mm_mmm64, Code.Packuswb_xmm_xmmm128);
        Both<PacksSDW>(Code.Packssdw_mm_mmm64, Code.Packssdw_xmm_xmmm128);
        // SSSE3
        Both<Pshufb>(Code.Pshufb_mm_mmm64, Code.Pshufb_xmm_xmmm128);
        Both<PhaddW>(Code.Phaddw_mm_mmm64, Code.Phaddw_xmm_xmmm128);
        Both<PhaddD>(Code.Phaddd_mm_mmm64, Code.Phaddd_xmm_xmmm128);
        Both<PhaddSW>(Code.Phaddsw_mm_mmm64, Code.Phaddsw_xmm_xmmm128);
        Both<PhsubW>(Code.Phsubw_mm_mmm64, Code.Phsubw_xmm_xmmm128);
        Both<PhsubD>(Code.Phsubd_mm_mmm64, Code.Phsubd_xmm_xmmm128);
        Both<PhsubSW>(Code.Phsubsw_mm_mmm64, Code.Phsubsw_xmm_xmmm128);
        Both<PmaddUBSW>(Code.Pmaddubsw_mm_mmm64, Code.Pmaddubsw_xmm_xmmm128);
        Both<PsignB>(Code.Psignb_mm_mmm64, Code.Psignb_xmm_xmmm128);
        Both<PsignW>(Code.Psignw_mm_mmm64, Code.Psignw_xmm_xmmm128);
        Both<PsignD>(Code.Psignd_mm_mmm64, Code.Psignd_xmm_xmmm128);
        Both<PmulhRSW>(Code.Pmulhrsw_mm_mmm64, Code.Pmulhrsw_xmm_xmmm128);
        Both<PabsB>(Code.Pabsb_mm_mmm64, Code.Pabsb_xmm_xmmm128);
        Both<PabsW>(Code.Pabsw_mm_mmm64, Code.Pabsw_xmm_xmmm128);
        Both<PabsD>(Code.Pabsd_mm_mmm64, Code.Pabsd_xmm_xmmm128);
        // The low unpacks read only 32 bits of an MMX memory operand.
        HandlerTable.Register(Code.Punpcklbw_mm_mmm32, &MmOpLow<PunpcklBW>);
        HandlerTable.Register(Code.Punpcklwd_mm_mmm32, &MmOpLow<PunpcklWD>);
        HandlerTable.Register(Code.Punpckldq_mm_mmm32, &MmOpLow<PunpcklDQ>);
        HandlerTable.Register(Code.Punpcklbw_xmm_xmmm128, &XmmOp<PunpcklBW>);
        HandlerTable.Register(Code.Punpcklwd_xmm_xmmm128, &XmmOp<PunpcklWD>);
        HandlerTable.Register(Code.Punpckldq_xmm_xmmm128, &XmmOp<PunpcklDQ>);
        HandlerTable.Register(Code.Punpcklqdq_xmm_xmmm128, &XmmOp<PunpcklQDQ>);
        HandlerTable.Register(Code.Punpckhqdq_xmm_xmmm128, &XmmOp<PunpckhQDQ>);
        // SSE4.1 and SSE4.2
        HandlerTable.Register(Code.Pcmpeqq_xmm_xmmm128, &XmmOp<PcmpeqQ>);
        HandlerTable.Register(Code.Pcmpgtq_xmm_xmmm128, &XmmOp<PcmpgtQ>);
        HandlerTable.Register(Code.Pminsb_xmm_xmmm128, &XmmOp<PminSB>);
        HandlerTable.Register(Code.Pmaxsb_xmm_xmmm128, &XmmOp<PmaxSB>);
        HandlerTable.Register(Code.Pminuw_xmm_xmmm128, &XmmOp<PminUW>);
        HandlerTable.Register(Code.Pmaxuw_xmm_xmmm128, &XmmOp<PmaxUW>);
        HandlerTable.Register(Code.Pminsd_xmm_xmmm128, &XmmOp<PminSD>);
        HandlerTable.Register(Code.Pmaxsd_xmm_xmmm128, &XmmOp<PmaxSD>);
        HandlerTable.Register(Code.Pminud_xmm_xmmm128, &XmmOp<PminUD>);
        HandlerTable.Register(Code.Pmaxud_xmm_xmmm128, &XmmOp<PmaxUD>);
        HandlerTable.Register(Code.Pmulld_xmm_xmmm128, &XmmOp<PmullD>);
        HandlerTable.Register(Code.Pmuldq_xmm_xmmm128, &XmmOp<PmulDQ>);
        HandlerTable.Register(Code.Packusdw_xmm_xmmm128, &XmmOp<PackUSDW>);
    }

    private static void Both<T>(Code mmx, Code xmm) where T : struct, IIntOp
    {
        HandlerTable.Register(mmx, &MmOp<T>);
        HandlerTable.Register(xmm, &XmmOp<T>);
    }

    // op xmm1, xmm2/m128.
    private static void XmmOp<T>(CpuCore c, ref Uop u) where T : struct, IIntOp
    {
        c.SseCheck();
        var b = c.XmmSource(ref u);
        ref var d = ref c.XmmRef(u.R0);
        d = T.Xmm(d, b);
    }

    // op mm1, mm2/m64.
    private static void MmOp<T>(CpuCore c, ref Uop u) where T : struct, IIntOp
    {
        if (!c.MmxReady()) return;
        ulong b = c.MmSource(ref u);
        c.SetMm(u.R0, T.Mm(c.GetMm(u.R0), b));
        c.EnterMmxState();
    }

    // op mm1, mm2/m32 (PUNPCKLBW/WD/DQ: only the low half of the source is used, and only it is read from memory).
    private static void MmOpLow<T>(CpuCore c, ref Uop u) where T : struct, IIntOp
    {
        if (!c.MmxReady()) return;
        ulong b = u.R1 != Reg.None ? c.GetMm(u.R1) : c.Read32(c.SimdAddress(ref u, 4, false));
        c.SetMm(u.R0, T.Mm(c.GetMm(u.R0), b));
        c.EnterMmxState();
    }
}
