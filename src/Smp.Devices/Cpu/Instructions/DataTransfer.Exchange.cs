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
        HandlerTable.Register(Code.Xchg_rm8_r8, &Xchg<Size8>);
        HandlerTable.Register(Code.Xchg_rm16_r16, &Xchg<Size16>);
        HandlerTable.Register(Code.Xchg_rm32_r32, &Xchg<Size32>);
        HandlerTable.Register(Code.Xchg_rm64_r64, &Xchg<Size64>);
        HandlerTable.Register(Code.Xchg_r16_AX, &Xchg<Size16>);
        HandlerTable.Register(Code.Xchg_r32_EAX, &Xchg<Size32>);
        HandlerTable.Register(Code.Xchg_r64_RAX, &Xchg<Size64>);

        HandlerTable.Register(Code.Xadd_rm8_r8, &Xadd<Size8>);
        HandlerTable.Register(Code.Xadd_rm16_r16, &Xadd<Size16>);
        HandlerTable.Register(Code.Xadd_rm32_r32, &Xadd<Size32>);
        HandlerTable.Register(Code.Xadd_rm64_r64, &Xadd<Size64>);

        HandlerTable.Register(Code.Cmpxchg_rm8_r8, &Cmpxchg<Size8>);
        HandlerTable.Register(Code.Cmpxchg_rm16_r16, &Cmpxchg<Size16>);
        HandlerTable.Register(Code.Cmpxchg_rm32_r32, &Cmpxchg<Size32>);
        HandlerTable.Register(Code.Cmpxchg_rm64_r64, &Cmpxchg<Size64>);

        HandlerTable.Register(Code.Cmpxchg8b_m64, &Cmpxchg8b);
        HandlerTable.Register(Code.Cmpxchg16b_m128, &Cmpxchg16b);
    }

    private static void Xchg<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong b = T.Get(c, u.R1);
        if ((u.R0 != Reg.None))
        {
            ulong a = T.Get(c, u.R0);
            T.Set(c, u.R0, b);
            T.Set(c, u.R1, a);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, T.Bytes, true);
            ulong a = T.Read(c, la);
            T.Write(c, la, b);
            T.Set(c, u.R1, a);
        }
    }

    // XADD: TEMP ← SRC + DEST; SRC ← DEST; DEST ← TEMP; flags as ADD.
    private static void Xadd<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong src = T.Get(c, u.R1);
        if ((u.R0 != Reg.None))
        {
            ulong dst = T.Get(c, u.R0), sum = dst + src;
            T.Set(c, u.R1, dst);
            T.Set(c, u.R0, sum); // when both name one register it ends with the sum
            c.SetFlagsAdd(T.Index, dst, src, sum);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, T.Bytes, true);
            ulong dst = T.Read(c, la), sum = dst + src;
            T.Write(c, la, sum);
            T.Set(c, u.R1, dst);
            c.SetFlagsAdd(T.Index, dst, src, sum);
        }
    }

    // CMPXCHG (SDM Vol. 2A): flags as CMP accumulator, DEST. Equal: DEST ← SRC. Not equal: accumulator ← DEST,
    // and a memory destination is written back with its own value (the processor always writes it).
    // A register destination is left alone on a mismatch (as Bochs: no zero-extension of a 32-bit DEST).
    private static void Cmpxchg<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong acc = T.Get(c, Reg.RAX);
        ulong src = T.Get(c, u.R1);
        ulong dst;
        if ((u.R0 != Reg.None))
        {
            dst = T.Get(c, u.R0);
            if (acc == dst) T.Set(c, u.R0, src);
            else T.Set(c, Reg.RAX, dst);
        }
        else
        {
            ulong la = c.OperandAddress(ref u, T.Bytes, true);
            dst = T.Read(c, la);
            T.Write(c, la, acc == dst ? src : dst);
            if (acc != dst) T.Set(c, Reg.RAX, dst);
        }
        c.SetFlagsSub(T.Index, acc, dst, acc - dst);
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
