using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

// MOV to/from control and debug registers, LMSW, SMSW, CLTS (SDM Vol. 2B; Vol. 3A §2.5, §2.7).
internal static unsafe partial class SystemControl
{
    [InstructionFamily]
    internal static void RegisterControlRegisters()
    {
        HandlerTable.Register(&MovCrFromReg, true, Code.Mov_cr_r32, Code.Mov_cr_r64);
        HandlerTable.Register(&MovRegFromCr, false, Code.Mov_r32_cr, Code.Mov_r64_cr);
        HandlerTable.Register(&MovDrFromReg, true, Code.Mov_dr_r32, Code.Mov_dr_r64);
        HandlerTable.Register(&MovRegFromDr, false, Code.Mov_r32_dr, Code.Mov_r64_dr);
        // LMSW ignores the operand size: o32/o64 forms (as compilers emit for a 32-bit register) read 16 bits too.
        HandlerTable.Register(&Lmsw, true, Code.Lmsw_rm16, Code.Lmsw_r32m16, Code.Lmsw_r64m16);
        HandlerTable.Register(&Smsw, false, Code.Smsw_rm16, Code.Smsw_r32m16, Code.Smsw_r64m16);
        HandlerTable.Register(Code.Clts, &Clts, endsBlock: true);
    }

    // Outside 64-bit mode the operand is always 32 bits (SDM Vol. 2B, MOV CR: "operand size ignored").
    private static void MovCrFromReg(CpuCore c, ref Uop u)
    {
        int cr = u.R0;
        if (cr is not (0 or 2 or 3 or 4 or 8)) c.RaiseFault(Vector.UD);
        RequireCpl0(c);
        ulong v = u.Instr.Code == Code.Mov_cr_r64 ? c.Get64(u.R1) : c.Get32(u.R1);
        bool ok = cr switch
        {
            0 => c.TryWriteCr0(v),
            2 => SetCr2(c, v),
            3 => c.TryWriteCr3(v),
            4 => c.TryWriteCr4(v),
            _ => c.TryWriteCr8(v),
        };
        if (!ok) c.RaiseFault(Vector.GP, 0);
        c.RequestExit();
    }

    private static bool SetCr2(CpuCore c, ulong v)
    {
        c.Cr2 = v;
        return true;
    }

    private static void MovRegFromCr(CpuCore c, ref Uop u)
    {
        int cr = u.R1;
        if (cr is not (0 or 2 or 3 or 4 or 8)) c.RaiseFault(Vector.UD);
        RequireCpl0(c);
        ulong v = cr switch { 0 => c.Cr0, 2 => c.Cr2, 3 => c.Cr3, 4 => c.Cr4, _ => c.ReadCr8() };
        if (u.Instr.Code == Code.Mov_r64_cr) c.Set64(u.R0, v);
        else c.Set32(u.R0, (uint)v);
    }

    // MOV DR (SDM Vol. 2B; Vol. 3B §17.2.4): CPL 0, #UD for DR4/DR5 with CR4.DE = 1, and #DB with
    // DR6.BD when DR7.GD is set (CpuCore.CheckDebugRegisterAccess).
    private static void MovDrFromReg(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        if (u.R0 > 7 || (u.R0 is 4 or 5 && (c.Cr4 & CpuCore.Cr4De) != 0)) c.RaiseFault(Vector.UD);
        c.CheckDebugRegisterAccess();
        ulong v = u.Instr.Code == Code.Mov_dr_r64 ? c.Get64(u.R1) : c.Get32(u.R1);
        int vector = c.TryWriteDr(u.R0, v);
        if (vector >= 0) c.RaiseFault(vector, 0);
        c.RequestExit();
    }

    private static void MovRegFromDr(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        if (u.R1 > 7 || (u.R1 is 4 or 5 && (c.Cr4 & CpuCore.Cr4De) != 0)) c.RaiseFault(Vector.UD);
        c.CheckDebugRegisterAccess();
        int vector = c.TryReadDr(u.R1, out ulong v);
        if (vector >= 0) c.RaiseFault(vector, 0);
        if (u.Instr.Code == Code.Mov_r64_dr) c.Set64(u.R0, v);
        else c.Set32(u.R0, (uint)v);
    }

    // LMSW (SDM Vol. 2A): CPL 0; loads CR0 bits 3:0 (PE, MP, EM, TS) and cannot clear PE.
    private static void Lmsw(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        ushort src = u.R0 != Reg.None ? c.Get16(u.R0) : c.Read16(c.OperandAddress(ref u, 2, false));
        ulong v = (c.Cr0 & ~0xEUL) | (src & 0xFUL);
        if (!c.TryWriteCr0(v)) c.RaiseFault(Vector.GP, 0);
    }

    // SMSW (SDM Vol. 2B): privileged only under UMIP. A memory destination receives 16 bits; a register
    // receives CR0 zero-extended to its size (as Bochs; bits above 15 are "undefined" in the SDM).
    private static void Smsw(CpuCore c, ref Uop u)
    {
        CheckUmip(c);
        ulong cr0 = c.Cr0;
        if (u.R0 == Reg.None) c.Write16(c.OperandAddress(ref u, 2, true), (ushort)cr0);
        else if (u.Instr.Code == Code.Smsw_r64m16) c.Set64(u.R0, cr0);
        else if (u.Instr.Code == Code.Smsw_r32m16) c.Set32(u.R0, (uint)cr0);
        else c.Set16(u.R0, (ushort)cr0);
    }

    // CLTS: CPL 0; clears CR0.TS.
    private static void Clts(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        c.Cr0 &= ~CpuCore.Cr0Ts;
    }
}
