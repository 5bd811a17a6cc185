using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Flag control: CLC, STC, CMC, CLD, STD, LAHF, SAHF (SDM Vol. 1 §7.3.13), STAC, CLAC. LAHF/SAHF are also
/// accepted in 64-bit mode (CPUID.80000001H:ECX.LAHF-SAHF is reported set).
/// </summary>
internal static unsafe class FlagControl
{
    // SF, ZF, AF, PF, CF: the status flags that LAHF/SAHF transfer through AH (bit 1 reads as 1).
    private const ulong AhFlags = Rflags.SF | Rflags.ZF | Rflags.AF | Rflags.PF | Rflags.CF;

    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Clc, &Clc);
        HandlerTable.Register(Code.Stc, &Stc);
        HandlerTable.Register(Code.Cmc, &Cmc);
        HandlerTable.Register(Code.Cld, &Cld);
        HandlerTable.Register(Code.Std, &Std);
        HandlerTable.Register(Code.Lahf, &Lahf);
        HandlerTable.Register(Code.Sahf, &Sahf);
        HandlerTable.Register(Code.Stac, &Stac);
        HandlerTable.Register(Code.Clac, &Clac);
    }

    // STAC/CLAC (SDM Vol. 2B): set or clear RFLAGS.AC, which lets CPL 0–2 reach user pages under SMAP; #UD at
    // CPL > 0 (SMAP is reported by CPUID, so that is the only #UD). Translations that SMAP let through are never
    // cached (CpuCore.Paging.cs), so changing AC needs no TLB flush.
    private static void Stac(CpuCore c, ref Uop u)
    {
        if (c.Cpl > 0) c.RaiseFault(Vector.UD);
        c.RflagsBits |= Rflags.AC;
    }

    private static void Clac(CpuCore c, ref Uop u)
    {
        if (c.Cpl > 0) c.RaiseFault(Vector.UD);
        c.RflagsBits &= ~Rflags.AC;
    }

    private static void Clc(CpuCore c, ref Uop u) => c.SetStatusFlag(Rflags.CF, false);

    private static void Stc(CpuCore c, ref Uop u) => c.SetStatusFlag(Rflags.CF, true);

    private static void Cmc(CpuCore c, ref Uop u) => c.SetStatusFlag(Rflags.CF, !c.GetCF());

    // DF is a control flag, always held directly in RflagsBits.
    private static void Cld(CpuCore c, ref Uop u) => c.RflagsBits &= ~Rflags.DF;

    private static void Std(CpuCore c, ref Uop u) => c.RflagsBits |= Rflags.DF;

    private static void Lahf(CpuCore c, ref Uop u) => c.Set8(Reg.AH, (byte)((c.GetRflags() & AhFlags) | Rflags.Reserved1));

    private static void Sahf(CpuCore c, ref Uop u) => Alu.SetStatusFlags(c, AhFlags, c.Get8(Reg.AH));
}
