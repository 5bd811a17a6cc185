using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// RDFSBASE, RDGSBASE, WRFSBASE, WRGSBASE (SDM Vol. 2B): the FS and GS bases read and written directly in
/// 64-bit mode, at any privilege level, once CR4.FSGSBASE = 1. Iced decodes them only in 64-bit mode; outside
/// it the encoding is another instruction.
/// </summary>
internal static unsafe class SegmentBases
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(&Read, false, Code.Rdfsbase_r32, Code.Rdfsbase_r64, Code.Rdgsbase_r32, Code.Rdgsbase_r64);
        HandlerTable.Register(&Write, false, Code.Wrfsbase_r32, Code.Wrfsbase_r64, Code.Wrgsbase_r32, Code.Wrgsbase_r64);
    }

    private static int SegmentOf(Code code) =>
        code is Code.Rdfsbase_r32 or Code.Rdfsbase_r64 or Code.Wrfsbase_r32 or Code.Wrfsbase_r64 ? Seg.FS : Seg.GS;

    private static void RequireEnabled(CpuCore c)
    {
        if (!c.Is64 || (c.Cr4 & CpuCore.Cr4Fsgsbase) == 0) c.RaiseFault(Vector.UD);
    }

    // The 32-bit forms read the low half (zero-extended into the register) and write a zero-extended value.
    private static void Read(CpuCore c, ref Uop u)
    {
        RequireEnabled(c);
        ulong b = c.Segs[SegmentOf(u.Instr.Code)].Base;
        if (u.Instr.Code is Code.Rdfsbase_r64 or Code.Rdgsbase_r64) c.Set64(u.R0, b);
        else c.Set32(u.R0, (uint)b);
    }

    // A non-canonical base is #GP(0) (only the 64-bit forms can produce one).
    private static void Write(CpuCore c, ref Uop u)
    {
        RequireEnabled(c);
        ulong v = u.Instr.Code is Code.Wrfsbase_r64 or Code.Wrgsbase_r64 ? c.Get64(u.R0) : c.Get32(u.R0);
        if ((ulong)(((long)v << 16) >> 16) != v) c.RaiseFault(Vector.GP, 0);
        c.WriteSegmentBase(SegmentOf(u.Instr.Code), v);
    }
}
