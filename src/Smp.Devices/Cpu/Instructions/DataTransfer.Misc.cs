using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// LEA, XLAT, BOUND, the NOP family (multi-byte and hint NOPs, PAUSE, PREFETCHh), the fences,
/// CLFLUSH/CLFLUSHOPT/CLWB and the defined-undefined opcodes UD0/UD1/UD2.
/// </summary>
internal static unsafe class DataTransferMisc
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Lea_r16_m, &Lea<Size16>);
        HandlerTable.Register(Code.Lea_r32_m, &Lea<Size32>);
        HandlerTable.Register(Code.Lea_r64_m, &Lea<Size64>);
        HandlerTable.Register(Code.Xlat_m8, &Xlat);
        HandlerTable.Register(Code.Bound_r16_m1616, &Bound<Size16>);
        HandlerTable.Register(Code.Bound_r32_m3232, &Bound<Size32>);

        // NOPs never touch memory, so a memory operand never faults (SDM Vol. 2B NOP, PREFETCHh).
        HandlerTable.Register(&Nop, false, Code.Nopw, Code.Nopd, Code.Nopq, Code.Nop_rm16, Code.Nop_rm32, Code.Nop_rm64, Code.Pause,
            Code.Prefetch_m8, Code.Prefetchw_m8, Code.Prefetchwt1_m8, Code.Prefetchnta_m8, Code.Prefetcht0_m8,
            Code.Prefetcht1_m8, Code.Prefetcht2_m8, Code.Prefetchit0_m8, Code.Prefetchit1_m8,
            Code.Prefetchreserved3_m8, Code.Prefetchreserved4_m8, Code.Prefetchreserved5_m8,
            Code.Prefetchreserved6_m8, Code.Prefetchreserved7_m8,
            Code.Lfence, Code.Lfence_E9, Code.Lfence_EA, Code.Lfence_EB, Code.Lfence_EC, Code.Lfence_ED, Code.Lfence_EE, Code.Lfence_EF,
            Code.Sfence, Code.Sfence_F9, Code.Sfence_FA, Code.Sfence_FB, Code.Sfence_FC, Code.Sfence_FD, Code.Sfence_FE, Code.Sfence_FF);
        for (var code = Code.Reservednop_rm16_r16_0F18; code <= Code.Reservednop_rm64_r64_0F1F; code++)
            HandlerTable.Register(code, &Nop);
        HandlerTable.Register(&Nop, false, Code.Reservednop_rm16_r16_0F0D, Code.Reservednop_rm32_r32_0F0D, Code.Reservednop_rm64_r64_0F0D);
        // The rest of the 0F 18–1F hint space that Iced names after later extensions. On this CPU (no CET,
        // MPX or CLDEMOTE in CPUID) they are the NOPs the space reserves: ENDBR32/64 with CET off (SDM Vol. 1
        // §18.3.1, the reason every -fcf-protection function may start with ENDBR64), RDSSPD/Q with shadow
        // stacks off (the destination is left unchanged, which is how software detects them), the MPX BND*
        // forms (Vol. 1 §17.4: NOPs without MPX) and CLDEMOTE (a hint).
        HandlerTable.Register(&Nop, false, Code.Endbr32, Code.Endbr64, Code.Rdsspd_r32, Code.Rdsspq_r64, Code.Cldemote_m8,
            Code.Bndldx_bnd_mib, Code.Bndmov_bnd_bndm64, Code.Bndmov_bnd_bndm128, Code.Bndcl_bnd_rm32, Code.Bndcl_bnd_rm64,
            Code.Bndcu_bnd_rm32, Code.Bndcu_bnd_rm64, Code.Bndstx_mib_bnd, Code.Bndmov_bndm64_bnd, Code.Bndmov_bndm128_bnd,
            Code.Bndmk_bnd_m32, Code.Bndmk_bnd_m64, Code.Bndcn_bnd_rm32, Code.Bndcn_bnd_rm64);
        HandlerTable.Register(&Mfence, false, Code.Mfence, Code.Mfence_F1, Code.Mfence_F2, Code.Mfence_F3, Code.Mfence_F4,
            Code.Mfence_F5, Code.Mfence_F6, Code.Mfence_F7);
        HandlerTable.Register(&Clflush, false, Code.Clflush_m8, Code.Clflushopt_m8, Code.Clwb_m8);
        HandlerTable.Register(&Undefined, false, Code.Ud0, Code.Ud0_r16_rm16, Code.Ud0_r32_rm32, Code.Ud0_r64_rm64,
            Code.Ud1_r16_rm16, Code.Ud1_r32_rm32, Code.Ud1_r64_rm64, Code.Ud2);
    }

    private static void Nop(CpuCore c, ref Uop u) { }

    // Guest stores reach RAM as plain host stores; other CPUs may run on other host threads, so MFENCE
    // orders them with a full host barrier (LFENCE/SFENCE need nothing beyond the host's TSO order).
    private static void Mfence(CpuCore c, ref Uop u) => Interlocked.MemoryBarrier();

    // CLFLUSH/CLFLUSHOPT/CLWB (SDM Vol. 2A): nothing is cached, but the instruction is subject to the permission
    // checks and faults of a byte load: segment checks (#GP/#SS) and the page walk (#PF). Only the
    // translation is done - reading the byte could have side effects on MMIO.
    private static void Clflush(CpuCore c, ref Uop u)
    {
        ulong la = c.OperandAddress(ref u, 1, false);
        c.Translate(la, AccessKind.Read);
    }

    private static void Undefined(CpuCore c, ref Uop u) => c.RaiseFault(Vector.UD);

    // LEA: the effective address computed at the address size (AddrMask), then truncated or
    // zero-extended to the operand size (SDM Vol. 2A LEA, Table 3-54).
    private static void Lea<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize => T.Set(c, u.R0, c.EffectiveAddress(ref u));

    // XLAT: AL ← [seg:rBX + zero-extended AL] at the address size. Iced reports AL as the index, so the
    // address is formed here rather than by EffectiveAddress (which would add all of RAX).
    private static void Xlat(CpuCore c, ref Uop u)
    {
        ulong ea = (c.Gpr(u.Base) + c.Get8(Reg.RAX)) & u.AddrMask;
        c.Set8(Reg.RAX, c.Read8(c.LinearAddress(u.Seg, ea, 1, false)));
    }

    // BOUND (SDM Vol. 2A): signed compare of the register with the lower and upper bounds in memory; #BR if outside.
    private static void Bound<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        ulong la = c.OperandAddress(ref u, 2 * T.Bytes, false);
        long lower, upper, index;
        if (T.Bytes == 2)
        {
            lower = (short)c.Read16(la);
            upper = (short)c.Read16((la + 2) & 0xFFFF_FFFFUL);
            index = (short)c.Get16(u.R0);
        }
        else
        {
            lower = (int)c.Read32(la);
            upper = (int)c.Read32((la + 4) & 0xFFFF_FFFFUL);
            index = (int)c.Get32(u.R0);
        }
        if (index < lower || index > upper) c.RaiseFault(Vector.BR);
    }
}
