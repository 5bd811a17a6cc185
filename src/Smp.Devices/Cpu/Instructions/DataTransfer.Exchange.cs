using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>XCHG, XADD, CMPXCHG, CMPXCHG8B and CMPXCHG16B (SDM Vol. 2 and Vol. 1 §7.3.1.2).</summary>
/// <remarks>
/// Memory forms read, then write, then commit registers, so a fault on the write leaves registers
/// untouched. XCHG with memory is implicitly locked and the others may carry LOCK; the read and write
/// reach memory back to back within one handler.
/// </remarks>
internal static unsafe class DataTransferExchange
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Xchg_rm8_r8, &Xchg<W.B1>);
        HandlerTable.Register(Code.Xchg_rm16_r16, &Xchg<W.B2>);
        HandlerTable.Register(Code.Xchg_rm32_r32, &Xchg<W.B4>);
        HandlerTable.Register(Code.Xchg_rm64_r64, &Xchg<W.B8>);
        HandlerTable.Register(Code.Xchg_r16_AX, &Xchg<W.B2>);
        HandlerTable.Register(Code.Xchg_r32_EAX, &Xchg<W.B4>);
        HandlerTable.Register(Code.Xchg_r64_RAX, &Xchg<W.B8>);

        HandlerTable.Register(Code.Xadd_rm8_r8, &Xadd<W.B1>);
        HandlerTable.Register(Code.Xadd_rm16_r16, &Xadd<W.B2>);
        HandlerTable.Register(Code.Xadd_rm32_r32, &Xadd<W.B4>);
        HandlerTable.Register(Code.Xadd_rm64_r64, &Xadd<W.B8>);

        HandlerTable.Register(Code.Cmpxchg_rm8_r8, &Cmpxchg<W.B1>);
        HandlerTable.Register(Code.Cmpxchg_rm16_r16, &Cmpxchg<W.B2>);
        HandlerTable.Register(Code.Cmpxchg_rm32_r32, &Cmpxchg<W.B4>);
        HandlerTable.Register(Code.Cmpxchg_rm64_r64, &Cmpxchg<W.B8>);

        HandlerTable.Register(Code.Cmpxchg8b_m64, &Cmpxchg8b);
        HandlerTable.Register(Code.Cmpxchg16b_m128, &Cmpxchg16b);
    }

    private static void Xchg<T>(CpuCore c, ref Uop u) where T : struct, IWidth
    {
        ulong b = W.Get<T>(c, u.R1);
        if (W.Op0IsReg<T>(ref u))
        {
            ulong a = W.Get<T>(c, u.R0);
            W.Set<T>(c, u.R0, b);
            W.Set<T>(c, u.R1, a);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, T.Bytes, true);
            ulong a = W.Load<T>(c, la);
            W.Store<T>(c, la, b);
            W.Set<T>(c, u.R1, a);
        }
    }

    // XADD: TEMP ← SRC + DEST; SRC ← DEST; DEST ← TEMP; flags as ADD.
    private static void Xadd<T>(CpuCore c, ref Uop u) where T : struct, IWidth
    {
        ulong src = W.Get<T>(c, u.R1);
        if (W.Op0IsReg<T>(ref u))
        {
            ulong dst = W.Get<T>(c, u.R0), sum = dst + src;
            W.Set<T>(c, u.R1, dst);
            W.Set<T>(c, u.R0, sum); // when both name one register it ends with the sum
            c.SetFlagsAdd(T.SizeIndex, dst, src, sum);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, T.Bytes, true);
            ulong dst = W.Load<T>(c, la), sum = dst + src;
            W.Store<T>(c, la, sum);
            W.Set<T>(c, u.R1, dst);
            c.SetFlagsAdd(T.SizeIndex, dst, src, sum);
        }
    }

    // CMPXCHG (SDM Vol. 2A): flags as CMP accumulator, DEST. Equal: DEST ← SRC. Not equal: accumulator ← DEST,
    // and a memory destination is written back with its own value (the processor always writes it).
    // A register destination is left alone on a mismatch (as Bochs: no zero-extension of a 32-bit DEST).
    private static void Cmpxchg<T>(CpuCore c, ref Uop u) where T : struct, IWidth
    {
        ulong acc = W.Get<T>(c, Reg.RAX);
        ulong src = W.Get<T>(c, u.R1);
        ulong dst;
        if (W.Op0IsReg<T>(ref u))
        {
            dst = W.Get<T>(c, u.R0);
            if (acc == dst) W.Set<T>(c, u.R0, src);
            else W.Set<T>(c, Reg.RAX, dst);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, T.Bytes, true);
            dst = W.Load<T>(c, la);
            W.Store<T>(c, la, acc == dst ? src : dst);
            if (acc != dst) W.Set<T>(c, Reg.RAX, dst);
        }
        c.SetFlagsSub(T.SizeIndex, acc, dst, acc - dst);
    }

    // CMPXCHG8B: compare EDX:EAX with m64; equal → m64 ← ECX:EBX, ZF = 1; else EDX:EAX ← m64, ZF = 0 (m64 rewritten).
    private static void Cmpxchg8b(CpuCore c, ref Uop u)
    {
        ulong la = c.OperandAddress(ref u, 8, true);
        ulong m = c.Read64(la);
        ulong expected = ((ulong)c.Get32(Reg.RDX) << 32) | c.Get32(Reg.RAX);
        bool eq = m == expected;
        c.Write64(la, eq ? ((ulong)c.Get32(Reg.RCX) << 32) | c.Get32(Reg.RBX) : m);
        if (!eq)
        {
            c.Set32(Reg.RAX, (uint)m);
            c.Set32(Reg.RDX, (uint)(m >> 32));
        }
        c.SetStatusFlag(Rflags.ZF, eq);
    }

    // CMPXCHG16B: as CMPXCHG8B on RDX:RAX / RCX:RBX; the operand must be 16-byte aligned, else #GP(0).
    private static void Cmpxchg16b(CpuCore c, ref Uop u)
    {
        ulong la = c.OperandAddress(ref u, 16, true);
        if ((la & 15) != 0) c.RaiseFault(Vector.GP, 0);
        ulong lo = c.Read64(la), hi = c.Read64(la + 8);
        bool eq = lo == c.R[Reg.RAX] && hi == c.R[Reg.RDX];
        // Both halves sit in one page (16-byte aligned), so the second write cannot fault after the first.
        c.Write64(la, eq ? c.R[Reg.RBX] : lo);
        c.Write64(la + 8, eq ? c.R[Reg.RCX] : hi);
        if (!eq)
        {
            c.R[Reg.RAX] = lo;
            c.R[Reg.RDX] = hi;
        }
        c.SetStatusFlag(Rflags.ZF, eq);
    }
}
