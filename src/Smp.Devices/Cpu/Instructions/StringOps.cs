using System.Runtime.CompilerServices;
using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// MOVS, STOS, LODS, CMPS, SCAS with REP/REPE/REPNE (SDM Vol. 1 §7.3.9, Vol. 2B REP). The source is
/// seg:rSI (segment override allowed), the destination ES:rDI; rSI/rDI/rCX are used and updated at the
/// address size; DF selects the direction.
/// </summary>
/// <remarks>
/// A repeated instruction runs its iterations in a loop inside the handler. Registers always describe the
/// iterations completed, so a fault in iteration k leaves rCX/rSI/rDI as after k − 1 iterations with RIP at
/// the instruction, and returning from the handler resumes it (SDM Vol. 2B REP: "the registers are saved ...
/// the instruction can be restarted"). At most <see cref="MaxIterations"/> iterations run per execution; then
/// the instruction re-executes itself (NextRip = Rip) after the loop has looked at events, as hardware may
/// recognise interrupts between iterations.
/// </remarks>
internal static unsafe class StringOps
{
    /// <summary>Iterations of a repeated string instruction per execution before pending events are looked at.</summary>
    internal const int MaxIterations = 4096;

    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Movsb_m8_m8, &Movs<Size8>);
        HandlerTable.Register(Code.Movsw_m16_m16, &Movs<Size16>);
        HandlerTable.Register(Code.Movsd_m32_m32, &Movs<Size32>);
        HandlerTable.Register(Code.Movsq_m64_m64, &Movs<Size64>);
        HandlerTable.Register(Code.Stosb_m8_AL, &Stos<Size8>);
        HandlerTable.Register(Code.Stosw_m16_AX, &Stos<Size16>);
        HandlerTable.Register(Code.Stosd_m32_EAX, &Stos<Size32>);
        HandlerTable.Register(Code.Stosq_m64_RAX, &Stos<Size64>);
        HandlerTable.Register(Code.Lodsb_AL_m8, &Lods<Size8>);
        HandlerTable.Register(Code.Lodsw_AX_m16, &Lods<Size16>);
        HandlerTable.Register(Code.Lodsd_EAX_m32, &Lods<Size32>);
        HandlerTable.Register(Code.Lodsq_RAX_m64, &Lods<Size64>);
        HandlerTable.Register(Code.Cmpsb_m8_m8, &Cmps<Size8>);
        HandlerTable.Register(Code.Cmpsw_m16_m16, &Cmps<Size16>);
        HandlerTable.Register(Code.Cmpsd_m32_m32, &Cmps<Size32>);
        HandlerTable.Register(Code.Cmpsq_m64_m64, &Cmps<Size64>);
        HandlerTable.Register(Code.Scasb_AL_m8, &Scas<Size8>);
        HandlerTable.Register(Code.Scasw_AX_m16, &Scas<Size16>);
        HandlerTable.Register(Code.Scasd_EAX_m32, &Scas<Size32>);
        HandlerTable.Register(Code.Scasq_RAX_m64, &Scas<Size64>);
    }

    /// <summary>The address-size mask of a string instruction, from Iced's string operand kinds (…SI/ESI/RSI, …DI/EDI/RDI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong AddressMask(ref Uop u)
    {
        var k = u.Instr.Op0Kind;
        if (k is OpKind.Register or OpKind.Immediate8) k = u.Instr.Op1Kind;
        return k switch
        {
            OpKind.MemorySegSI or OpKind.MemorySegDI or OpKind.MemoryESDI => 0xFFFFUL,
            OpKind.MemorySegESI or OpKind.MemorySegEDI or OpKind.MemoryESEDI => 0xFFFF_FFFFUL,
            _ => ulong.MaxValue,
        };
    }

    /// <summary>True for a REP (F3) or REPNE (F2) prefix, either of which repeats MOVS/STOS/LODS/INS/OUTS.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Repeated(ref Uop u) => u.Instr.HasRepPrefix || u.Instr.HasRepnePrefix;

    /// <summary>The per-element step: +size, or −size when DF = 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Step<T>(CpuCore c) where T : struct, IOperandSize =>
        (c.RflagsBits & Rflags.DF) != 0 ? (ulong)-T.Bytes : (ulong)T.Bytes;

    /// <summary>
    /// Leaves a repeated string instruction after a full batch with iterations still to do: RIP stays on it
    /// and the block ends so the loop can take events before it resumes.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Yield(CpuCore c)
    {
        c.NextRip = c.Rip;
        c.RequestExit();
    }

    private static void Movs<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong am = AddressMask(ref u), step = Step<T>(c);
        int seg = u.Seg;
        ulong si = c.R[Reg.RSI] & am, di = c.R[Reg.RDI] & am;
        if (!Repeated(ref u))
        {
            T.Write(c, c.LinearAddress(Seg.ES, di, T.Bytes, true), T.Read(c, c.LinearAddress(seg, si, T.Bytes, false)));
            AddressSized.Set(c, Reg.RSI, si + step, am);
            AddressSized.Set(c, Reg.RDI, di + step, am);
            return;
        }
        ulong count = c.R[Reg.RCX] & am;
        int budget = MaxIterations;
        try
        {
            while (count != 0)
            {
                if (budget-- == 0) { Yield(c); return; }
                T.Write(c, c.LinearAddress(Seg.ES, di, T.Bytes, true), T.Read(c, c.LinearAddress(seg, si, T.Bytes, false)));
                si = (si + step) & am;
                di = (di + step) & am;
                count--;
            }
        }
        finally
        {
            AddressSized.Set(c, Reg.RSI, si, am);
            AddressSized.Set(c, Reg.RDI, di, am);
            AddressSized.Set(c, Reg.RCX, count, am);
        }
    }

    private static void Stos<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong am = AddressMask(ref u), step = Step<T>(c);
        ulong v = T.Get(c, Reg.RAX);
        ulong di = c.R[Reg.RDI] & am;
        if (!Repeated(ref u))
        {
            T.Write(c, c.LinearAddress(Seg.ES, di, T.Bytes, true), v);
            AddressSized.Set(c, Reg.RDI, di + step, am);
            return;
        }
        ulong count = c.R[Reg.RCX] & am;
        int budget = MaxIterations;
        try
        {
            while (count != 0)
            {
                if (budget-- == 0) { Yield(c); return; }
                T.Write(c, c.LinearAddress(Seg.ES, di, T.Bytes, true), v);
                di = (di + step) & am;
                count--;
            }
        }
        finally
        {
            AddressSized.Set(c, Reg.RDI, di, am);
            AddressSized.Set(c, Reg.RCX, count, am);
        }
    }

    private static void Lods<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong am = AddressMask(ref u), step = Step<T>(c);
        int seg = u.Seg;
        ulong si = c.R[Reg.RSI] & am;
        if (!Repeated(ref u))
        {
            T.Set(c, Reg.RAX, T.Read(c, c.LinearAddress(seg, si, T.Bytes, false)));
            AddressSized.Set(c, Reg.RSI, si + step, am);
            return;
        }
        ulong count = c.R[Reg.RCX] & am;
        int budget = MaxIterations;
        try
        {
            while (count != 0)
            {
                if (budget-- == 0) { Yield(c); return; }
                T.Set(c, Reg.RAX, T.Read(c, c.LinearAddress(seg, si, T.Bytes, false)));
                si = (si + step) & am;
                count--;
            }
        }
        finally
        {
            AddressSized.Set(c, Reg.RSI, si, am);
            AddressSized.Set(c, Reg.RCX, count, am);
        }
    }

    // CMPS: flags of [seg:rSI] − [ES:rDI]. REPE stops when they differ (ZF = 0), REPNE when they are equal.
    private static void Cmps<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong am = AddressMask(ref u), step = Step<T>(c);
        int seg = u.Seg;
        ulong si = c.R[Reg.RSI] & am, di = c.R[Reg.RDI] & am;
        bool repe = u.Instr.HasRepePrefix, repne = u.Instr.HasRepnePrefix;
        if (!repe && !repne)
        {
            ulong a = T.Read(c, c.LinearAddress(seg, si, T.Bytes, false));
            ulong b = T.Read(c, c.LinearAddress(Seg.ES, di, T.Bytes, false));
            AddressSized.Set(c, Reg.RSI, si + step, am);
            AddressSized.Set(c, Reg.RDI, di + step, am);
            c.SetFlagsSub(T.Index, a, b, a - b);
            return;
        }
        ulong count = c.R[Reg.RCX] & am;
        int budget = MaxIterations;
        try
        {
            while (count != 0)
            {
                if (budget-- == 0) { Yield(c); return; }
                ulong a = T.Read(c, c.LinearAddress(seg, si, T.Bytes, false));
                ulong b = T.Read(c, c.LinearAddress(Seg.ES, di, T.Bytes, false));
                si = (si + step) & am;
                di = (di + step) & am;
                count--;
                c.SetFlagsSub(T.Index, a, b, a - b);
                if ((a == b) != repe) break;
            }
        }
        finally
        {
            AddressSized.Set(c, Reg.RSI, si, am);
            AddressSized.Set(c, Reg.RDI, di, am);
            AddressSized.Set(c, Reg.RCX, count, am);
        }
    }

    // SCAS: flags of accumulator − [ES:rDI], with the same REPE/REPNE termination as CMPS.
    private static void Scas<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong am = AddressMask(ref u), step = Step<T>(c);
        ulong acc = T.Get(c, Reg.RAX);
        ulong di = c.R[Reg.RDI] & am;
        bool repe = u.Instr.HasRepePrefix, repne = u.Instr.HasRepnePrefix;
        if (!repe && !repne)
        {
            ulong b = T.Read(c, c.LinearAddress(Seg.ES, di, T.Bytes, false));
            AddressSized.Set(c, Reg.RDI, di + step, am);
            c.SetFlagsSub(T.Index, acc, b, acc - b);
            return;
        }
        ulong count = c.R[Reg.RCX] & am;
        int budget = MaxIterations;
        try
        {
            while (count != 0)
            {
                if (budget-- == 0) { Yield(c); return; }
                ulong b = T.Read(c, c.LinearAddress(Seg.ES, di, T.Bytes, false));
                di = (di + step) & am;
                count--;
                c.SetFlagsSub(T.Index, acc, b, acc - b);
                if ((acc == b) != repe) break;
            }
        }
        finally
        {
            AddressSized.Set(c, Reg.RDI, di, am);
            AddressSized.Set(c, Reg.RCX, count, am);
        }
    }
}
