using System.Runtime.Intrinsics;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Packed shifts (SDM Vol. 2B PSLLW/D/Q, PSRLW/D/Q, PSRAW/D, PSLLDQ, PSRLDQ) by an immediate or by the low 64 bits of
/// an MMX/XMM register or memory operand (all 128 bits of an XMM memory operand are read, aligned), in MMX and XMM forms.
/// </summary>
internal static unsafe class SseShift
{
    [InstructionFamily]
    internal static void Register()
    {
        All<PsllW>(Code.Psllw_mm_mmm64, Code.Psllw_xmm_xmmm128, Code.Psllw_mm_imm8, Code.Psllw_xmm_imm8);
        All<PsllD>(Code.Pslld_mm_mmm64, Code.Pslld_xmm_xmmm128, Code.Pslld_mm_imm8, Code.Pslld_xmm_imm8);
        All<PsllQ>(Code.Psllq_mm_mmm64, Code.Psllq_xmm_xmmm128, Code.Psllq_mm_imm8, Code.Psllq_xmm_imm8);
        All<PsrlW>(Code.Psrlw_mm_mmm64, Code.Psrlw_xmm_xmmm128, Code.Psrlw_mm_imm8, Code.Psrlw_xmm_imm8);
        All<PsrlD>(Code.Psrld_mm_mmm64, Code.Psrld_xmm_xmmm128, Code.Psrld_mm_imm8, Code.Psrld_xmm_imm8);
        All<PsrlQ>(Code.Psrlq_mm_mmm64, Code.Psrlq_xmm_xmmm128, Code.Psrlq_mm_imm8, Code.Psrlq_xmm_imm8);
        All<PsraW>(Code.Psraw_mm_mmm64, Code.Psraw_xmm_xmmm128, Code.Psraw_mm_imm8, Code.Psraw_xmm_imm8);
        All<PsraD>(Code.Psrad_mm_mmm64, Code.Psrad_xmm_xmmm128, Code.Psrad_mm_imm8, Code.Psrad_xmm_imm8);
        HandlerTable.Register(Code.Pslldq_xmm_imm8, &XmmByImmediate<PslldQ>);
        HandlerTable.Register(Code.Psrldq_xmm_imm8, &XmmByImmediate<PsrldQ>);
    }

    private static void All<T>(Code mmByRegister, Code xmmByRegister, Code mmByImmediate, Code xmmByImmediate) where T : struct, IPackedShift
    {
        HandlerTable.Register(mmByRegister, &MmByRegister<T>);
        HandlerTable.Register(xmmByRegister, &XmmByRegister<T>);
        HandlerTable.Register(mmByImmediate, &MmByImmediate<T>);
        HandlerTable.Register(xmmByImmediate, &XmmByImmediate<T>);
    }

    private static void XmmByRegister<T>(CpuCore c, ref Uop u) where T : struct, IPackedShift
    {
        c.SseCheck();
        ulong count = c.XmmSource(ref u).AsUInt64().GetElement(0);
        ref var d = ref c.XmmRef(u.R0);
        d = T.Shift(d, count);
    }

    private static void XmmByImmediate<T>(CpuCore c, ref Uop u) where T : struct, IPackedShift
    {
        c.SseCheck();
        ref var d = ref c.XmmRef(u.R0);
        d = T.Shift(d, u.Imm & 0xFF);
    }

    private static void MmByRegister<T>(CpuCore c, ref Uop u) where T : struct, IPackedShift
    {
        if (!c.MmxReady()) return;
        ulong count = c.MmSource(ref u);
        c.SetMm(u.R0, Lanes.Low(T.Shift(Lanes.V(c.GetMm(u.R0)), count)));
        c.EnterMmxState();
    }

    private static void MmByImmediate<T>(CpuCore c, ref Uop u) where T : struct, IPackedShift
    {
        if (!c.MmxReady()) return;
        c.SetMm(u.R0, Lanes.Low(T.Shift(Lanes.V(c.GetMm(u.R0)), u.Imm & 0xFF)));
        c.EnterMmxState();
    }
}
