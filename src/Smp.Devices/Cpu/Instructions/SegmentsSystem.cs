using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// LDT and task registers and selector inspection: LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW, ARPL
/// (SDM Vol. 2A ARPL, LAR, LLDT, LSL, LTR; Vol. 2B SLDT, STR, VERR/VERW). All but ARPL's
/// data path are #UD in real mode.
/// </summary>
internal static unsafe class SegmentsSystem
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(&Lldt, true, Code.Lldt_rm16, Code.Lldt_r32m16, Code.Lldt_r64m16);
        HandlerTable.Register(&Ltr, true, Code.Ltr_rm16, Code.Ltr_r32m16, Code.Ltr_r64m16);
        HandlerTable.Register(&Sldt, false, Code.Sldt_rm16, Code.Sldt_r32m16, Code.Sldt_r64m16);
        HandlerTable.Register(&Str, false, Code.Str_rm16, Code.Str_r32m16, Code.Str_r64m16);
        HandlerTable.Register(&Lar, false, Code.Lar_r16_rm16, Code.Lar_r32_r32m16, Code.Lar_r64_r64m16);
        HandlerTable.Register(&Lsl, false, Code.Lsl_r16_rm16, Code.Lsl_r32_r32m16, Code.Lsl_r64_r64m16);
        HandlerTable.Register(&Verr, false, Code.Verr_rm16, Code.Verr_r32m16, Code.Verr_r64m16);
        HandlerTable.Register(&Verw, false, Code.Verw_rm16, Code.Verw_r32m16, Code.Verw_r64m16);
        HandlerTable.Register(&Arpl, false, Code.Arpl_rm16_r16, Code.Arpl_r32m16_r32);
    }

    private static ushort SourceSelector(CpuCore c, ref Uop u, byte reg) =>
        reg != Reg.None ? c.Get16(reg) : c.Read16(c.OperandAddress(ref u, 2, false));

    private static void RequireProtected(CpuCore c)
    {
        if (!c.ProtectedMode || c.Virtual8086) c.RaiseFault(Vector.UD);
    }

    private static void Lldt(CpuCore c, ref Uop u)
    {
        RequireProtected(c);
        if (c.Cpl != 0) c.RaiseFault(Vector.GP, 0);
        c.LoadLdtr(SourceSelector(c, ref u, u.R0));
    }

    private static void Ltr(CpuCore c, ref Uop u)
    {
        RequireProtected(c);
        if (c.Cpl != 0) c.RaiseFault(Vector.GP, 0);
        c.LoadTr(SourceSelector(c, ref u, u.R0));
    }

    private static void StoreSelector(CpuCore c, ref Uop u, ushort sel)
    {
        RequireProtected(c);
        SystemControl.CheckUmip(c);
        if (u.R0 == Reg.None) c.Write16(c.OperandAddress(ref u, 2, true), sel);
        else if (u.Instr.Op0Register.GetSize() == 2) c.Set16(u.R0, sel);
        else c.Set64(u.R0, sel);
    }

    private static void Sldt(CpuCore c, ref Uop u) => StoreSelector(c, ref u, c.Ldtr.Selector);

    private static void Str(CpuCore c, ref Uop u) => StoreSelector(c, ref u, c.Tr.Selector);

    // LAR/LSL/VERR/VERW report through ZF and never fault on a bad selector (only on the operand fetch).
    private static bool Visible(CpuCore c, ushort sel, ulong d)
    {
        if (CpuCore.IsConforming(d)) return true;
        int dpl = CpuCore.DplOf(d);
        return dpl >= c.Cpl && dpl >= (sel & 3);
    }

    private static bool TryLookup(CpuCore c, ushort sel, out ulong d)
    {
        d = 0;
        if ((sel & 0xFFFC) == 0 || !c.TryDescriptorAddress(sel, out ulong la)) return false;
        d = c.ReadLinear(la, 8, AccessKind.System);
        return true;
    }

    // System types LAR accepts: TSS (1, 3, 9, B), LDT (2), call gate (4, C), task gate (5); in IA-32e mode 2, 9, B, C.
    private static bool LarType(CpuCore c, int type) =>
        c.LongModeActive ? type is 2 or 9 or 0xB or 0xC : type is 1 or 2 or 3 or 4 or 5 or 9 or 0xB or 0xC;

    private static void Lar(CpuCore c, ref Uop u)
    {
        RequireProtected(c);
        ushort sel = SourceSelector(c, ref u, u.R1);
        bool ok = TryLookup(c, sel, out ulong d);
        if (ok && (d & (1UL << 44)) == 0) ok = LarType(c, (int)((d >> 40) & 0xF));
        ok = ok && Visible(c, sel, d);
        c.SetStatusFlag(Rflags.ZF, ok);
        if (!ok) return;
        ulong rights = (d >> 32) & 0x00F0_FF00UL;
        int size = u.Instr.Op0Register.GetSize();
        if (size == 2) c.Set16(u.R0, (ushort)rights);
        else c.Set64(u.R0, rights);
    }

    private static void Lsl(CpuCore c, ref Uop u)
    {
        RequireProtected(c);
        ushort sel = SourceSelector(c, ref u, u.R1);
        bool ok = TryLookup(c, sel, out ulong d);
        if (ok && (d & (1UL << 44)) == 0)
        {
            int type = (int)((d >> 40) & 0xF);
            ok = c.LongModeActive ? type is 2 or 9 or 0xB : type is 1 or 2 or 3 or 9 or 0xB;
        }
        ok = ok && Visible(c, sel, d);
        c.SetStatusFlag(Rflags.ZF, ok);
        if (!ok) return;
        uint limit = CpuCore.DescriptorCache(sel, d).Limit;
        if (u.Instr.Op0Register.GetSize() == 2) c.Set16(u.R0, (ushort)limit);
        else c.Set64(u.R0, limit);
    }

    private static void Verr(CpuCore c, ref Uop u)
    {
        RequireProtected(c);
        ushort sel = SourceSelector(c, ref u, u.R0);
        bool ok = TryLookup(c, sel, out ulong d) && (CpuCore.IsData(d) || CpuCore.IsReadableCode(d)) && Visible(c, sel, d);
        c.SetStatusFlag(Rflags.ZF, ok);
    }

    private static void Verw(CpuCore c, ref Uop u)
    {
        RequireProtected(c);
        ushort sel = SourceSelector(c, ref u, u.R0);
        bool ok = TryLookup(c, sel, out ulong d) && CpuCore.IsWritableData(d) && Visible(c, sel, d);
        c.SetStatusFlag(Rflags.ZF, ok);
    }

    // ARPL: raise the destination selector's RPL to the source's (ZF = 1) if lower (legacy modes only).
    private static void Arpl(CpuCore c, ref Uop u)
    {
        RequireProtected(c);
        ushort src = c.Get16(u.R1);
        ulong la = 0;
        ushort dst = u.R0 != Reg.None ? c.Get16(u.R0) : c.Read16(la = c.OperandAddress(ref u, 2, true));
        bool raise = (dst & 3) < (src & 3);
        if (raise)
        {
            dst = (ushort)((dst & ~3) | (src & 3));
            if (u.R0 != Reg.None) c.Set16(u.R0, dst); else c.Write16(la, dst);
        }
        c.SetStatusFlag(Rflags.ZF, raise);
    }
}
