using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Segment register moves: MOV Sreg, MOV r/m Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS
/// (SDM Vol. 2A LDS/LES/LFS/LGS/LSS and MOV, Vol. 2B POP/PUSH). MOV SS and POP SS set the
/// MOV-SS interrupt shadow.
/// </summary>
internal static unsafe class Segments
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(&MovSwEw, false, Code.Mov_Sreg_rm16, Code.Mov_Sreg_r32m16, Code.Mov_Sreg_r64m16);
        HandlerTable.Register(&MovEwSw, false, Code.Mov_rm16_Sreg, Code.Mov_r32m16_Sreg, Code.Mov_r64m16_Sreg);
        HandlerTable.Register(&PopSw16, false, Code.Popw_ES, Code.Popw_DS, Code.Popw_FS, Code.Popw_GS);
        HandlerTable.Register(&PopSw32, false, Code.Popd_ES, Code.Popd_DS, Code.Popd_FS, Code.Popd_GS);
        HandlerTable.Register(&PopSw64, false, Code.Popq_FS, Code.Popq_GS);
        HandlerTable.Register(&PopSs16, true, Code.Popw_SS);
        HandlerTable.Register(&PopSs32, true, Code.Popd_SS);
        HandlerTable.Register(&LoadFar, false,
            Code.Lds_r16_m1616, Code.Lds_r32_m1632, Code.Les_r16_m1616, Code.Les_r32_m1632,
            Code.Lfs_r16_m1616, Code.Lfs_r32_m1632, Code.Lfs_r64_m1664,
            Code.Lgs_r16_m1616, Code.Lgs_r32_m1632, Code.Lgs_r64_m1664,
            Code.Lss_r16_m1616, Code.Lss_r32_m1632, Code.Lss_r64_m1664);
    }

    // The segment register operand of a PUSH/POP Sreg form.
    private static int SregOf(ref Uop u) => RegisterMap.Of(u.Instr.Op0Register);

    private static void MovSwEw(CpuCore c, ref Uop u)
    {
        int seg = u.R0;
        if (seg == Seg.CS || seg > Seg.GS) c.RaiseFault(Vector.UD);
        ushort sel = u.R1 != Reg.None ? c.Get16(u.R1) : c.Read16(c.OperandAddress(ref u, 2, false));
        c.LoadDataSegment(seg, sel);
        // MOV SS inhibits interrupts, NMI and debug traps until the next instruction completes (SDM Vol. 2A MOV).
        if (seg == Seg.SS) c.SetInterruptShadow(movSs: true);
    }

    // MOV r/m, Sreg: a memory destination is always 16 bits; 32/64-bit registers are zero-extended.
    private static void MovEwSw(CpuCore c, ref Uop u)
    {
        ushort sel = c.Segs[u.R1].Selector;
        if (u.R0 == Reg.None) c.Write16(c.OperandAddress(ref u, 2, true), sel);
        else if (u.Instr.Code == Code.Mov_rm16_Sreg) c.Set16(u.R0, sel);
        else c.Set64(u.R0, sel);
    }

    private static void PopSw16(CpuCore c, ref Uop u) => c.PopSelector(SregOf(ref u), 2);

    private static void PopSw32(CpuCore c, ref Uop u) => c.PopSelector(SregOf(ref u), 4);

    private static void PopSw64(CpuCore c, ref Uop u) => c.PopSelector(SregOf(ref u), 8);

    private static void PopSs16(CpuCore c, ref Uop u)
    {
        c.PopSelector(Seg.SS, 2);
        c.SetInterruptShadow(movSs: true);
    }

    private static void PopSs32(CpuCore c, ref Uop u)
    {
        c.PopSelector(Seg.SS, 4);
        c.SetInterruptShadow(movSs: true);
    }

    // LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset then selector in memory; the register is written
    // only after the segment load succeeded.
    private static void LoadFar(CpuCore c, ref Uop u)
    {
        var code = u.Instr.Code;
        int size = u.Instr.Op0Register.GetSize();
        int seg = code switch
        {
            Code.Lds_r16_m1616 or Code.Lds_r32_m1632 => Seg.DS,
            Code.Les_r16_m1616 or Code.Les_r32_m1632 => Seg.ES,
            Code.Lfs_r16_m1616 or Code.Lfs_r32_m1632 or Code.Lfs_r64_m1664 => Seg.FS,
            Code.Lgs_r16_m1616 or Code.Lgs_r32_m1632 or Code.Lgs_r64_m1664 => Seg.GS,
            _ => Seg.SS,
        };
        ulong la = c.OperandAddress(ref u, size + 2, false);
        ulong offset = c.ReadSized(la, size);
        ushort sel = c.Read16(la + (ulong)size);
        c.LoadDataSegment(seg, sel);
        c.SetSized(size == 2 ? 1 : size == 4 ? 2 : 3, u.R0, offset);
    }
}
