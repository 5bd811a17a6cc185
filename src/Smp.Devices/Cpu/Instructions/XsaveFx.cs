using Iced.Intel;
using Smp.Devices.Cpu.Decoding;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// FXSAVE and FXRSTOR (SDM Vol. 2A FXSAVE, FXRSTOR; Vol. 1 §10.5): the x87, MXCSR and XMM state in a 512-byte, 16-byte
/// aligned area (#GP(0) otherwise; #NM with CR0.TS or CR0.EM). The REX.W forms store the 64-bit FPU IP and DP, the
/// others 32-bit offsets with their selectors. Outside 64-bit mode only XMM0–XMM7 are saved; without CR4.OSFXSR no XMM
/// register is (the SDM leaves it to the implementation; this one skips them). FXRSTOR raises #GP(0) for MXCSR bits
/// outside MXCSR_MASK and checks everything before it loads anything. Reserved bytes inside the written range are
/// written as 0; bytes 416–511 (288–511 outside 64-bit mode) are never written.
/// </summary>
internal static unsafe class XsaveFx
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Fxsave_m512byte, &Fxsave);
        HandlerTable.Register(Code.Fxsave64_m512byte, &Fxsave64);
        HandlerTable.Register(Code.Fxrstor_m512byte, &Fxrstor, endsBlock: true);
        HandlerTable.Register(Code.Fxrstor64_m512byte, &Fxrstor64, endsBlock: true);
    }

    private static void Fxsave(CpuCore c, ref Uop u) => Save(c, ref u, wide: false);

    private static void Fxsave64(CpuCore c, ref Uop u) => Save(c, ref u, wide: true);

    private static void Fxrstor(CpuCore c, ref Uop u) => Restore(c, ref u, wide: false);

    private static void Fxrstor64(CpuCore c, ref Uop u) => Restore(c, ref u, wide: true);

    private static ulong AreaAddress(CpuCore c, ref Uop u, bool write)
    {
        if ((c.Cr0 & (CpuCore.Cr0Em | CpuCore.Cr0Ts)) != 0) c.RaiseFault(Vector.NM);
        ulong la = c.OperandAddress(ref u, FxsaveArea.Size, write);
        if ((la & 15) != 0) c.RaiseFault(Vector.GP, 0);
        return la;
    }

    // The end of the part that is saved and restored: the XMM registers of the mode, or none without CR4.OSFXSR.
    private static int End(CpuCore c) =>
        (c.Cr4 & CpuCore.Cr4Osfxsr) == 0 ? FxsaveArea.XmmOffset : FxsaveArea.XmmOffset + 16 * (c.Is64 ? 16 : 8);

    private static void Save(CpuCore c, ref Uop u, bool wide)
    {
        ulong la = AreaAddress(c, ref u, true);
        Span<byte> area = stackalloc byte[FxsaveArea.Size];
        FxsaveArea.SaveX87(c, area, wide);
        FxsaveArea.SaveMxcsr(c, area);
        int end = End(c);
        if (end > FxsaveArea.XmmOffset) FxsaveArea.SaveXmm(c, area, (end - FxsaveArea.XmmOffset) / 16);
        // Both pages are checked first, so a #PF on the second leaves memory untouched.
        c.Translate(la + (ulong)end - 1, AccessKind.Write);
        FxsaveArea.Store(c, la, area, 0, end);
    }

    private static void Restore(CpuCore c, ref Uop u, bool wide)
    {
        ulong la = AreaAddress(c, ref u, false);
        int end = End(c);
        Span<byte> area = stackalloc byte[FxsaveArea.Size];
        FxsaveArea.Fetch(c, la, area, 0, end);
        uint mxcsr = FxsaveArea.ReadMxcsr(area);
        if ((mxcsr & ~Simd.Mxcsr.WritableMask) != 0) c.RaiseFault(Vector.GP, 0);
        FxsaveArea.LoadX87(c, area, wide);
        c.FpuUpdateErrorSummary();
        c.Mxcsr = mxcsr;
        if (end > FxsaveArea.XmmOffset) FxsaveArea.LoadXmm(c, area, (end - FxsaveArea.XmmOffset) / 16);
    }
}
