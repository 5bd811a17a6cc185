using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Decimal arithmetic adjustments DAA, DAS, AAA, AAS, AAM, AAD and the undocumented SALC; all are
/// invalid in 64-bit mode, where the decoder does not produce them (SDM Vol. 1 §7.3.2.5, Vol. 2A
/// instruction pages). Flags the SDM leaves undefined are derived from AL like the defined ones, with
/// OF = 0.
/// </summary>
internal static unsafe class Bcd
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Daa, &Daa);
        HandlerTable.Register(Code.Das, &Das);
        HandlerTable.Register(Code.Aaa, &Aaa);
        HandlerTable.Register(Code.Aas, &Aas);
        HandlerTable.Register(Code.Aam_imm8, &Aam);
        HandlerTable.Register(Code.Aad_imm8, &Aad);
        HandlerTable.Register(Code.Salc, &Salc);
    }

    private static void Daa(CpuCore c, ref Uop u)
    {
        uint al = c.Get8(Reg.RAX), oldAl = al;
        bool oldCf = c.GetCF(), af = c.GetAF(), cf;
        if ((al & 0xF) > 9 || af) { al += 6; af = true; }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al += 0x60; cf = true; }
        else cf = false;
        c.Set8(Reg.RAX, (byte)al);
        c.SetFlagsExplicit(0, al, cf, false, af);
    }

    private static void Das(CpuCore c, ref Uop u)
    {
        uint al = c.Get8(Reg.RAX), oldAl = al;
        bool oldCf = c.GetCF(), af = c.GetAF(), cf = false;
        if ((al & 0xF) > 9 || af)
        {
            cf = oldCf || al < 6;
            al -= 6;
            af = true;
        }
        else af = false;
        if (oldAl > 0x99 || oldCf) { al -= 0x60; cf = true; }
        c.Set8(Reg.RAX, (byte)al);
        c.SetFlagsExplicit(0, al, cf, false, af);
    }

    private static void Aaa(CpuCore c, ref Uop u)
    {
        uint ax = c.Get16(Reg.RAX);
        bool adjust = (ax & 0xF) > 9 || c.GetAF();
        if (adjust) ax += 0x106;
        ax &= 0xFF0F;
        c.Set16(Reg.RAX, (ushort)ax);
        c.SetFlagsExplicit(0, ax, adjust, false, adjust);
    }

    private static void Aas(CpuCore c, ref Uop u)
    {
        uint ax = c.Get16(Reg.RAX);
        bool adjust = (ax & 0xF) > 9 || c.GetAF();
        if (adjust) ax = (ax - 6) - 0x100;
        ax &= 0xFF0F;
        c.Set16(Reg.RAX, (ushort)ax);
        c.SetFlagsExplicit(0, ax, adjust, false, adjust);
    }

    /// <summary>AAM imm8: AH = AL / imm8, AL = AL mod imm8; an immediate of 0 raises #DE.</summary>
    private static void Aam(CpuCore c, ref Uop u)
    {
        uint d = (uint)u.Imm & 0xFF;
        if (d == 0) c.RaiseFault(Vector.DE);
        uint al = c.Get8(Reg.RAX);
        uint r = al % d;
        c.Set16(Reg.RAX, (ushort)(((al / d) << 8) | r));
        c.SetFlagsExplicit(0, r, false, false);
    }

    /// <summary>AAD imm8: AL = (AL + AH × imm8) mod 256, AH = 0.</summary>
    private static void Aad(CpuCore c, ref Uop u)
    {
        uint ax = c.Get16(Reg.RAX);
        uint al = ((ax & 0xFF) + (ax >> 8) * ((uint)u.Imm & 0xFF)) & 0xFF;
        c.Set16(Reg.RAX, (ushort)al);
        c.SetFlagsExplicit(0, al, false, false);
    }

    /// <summary>SALC (D6h, undocumented): AL = CF ? FFh : 0, flags unchanged.</summary>
    private static void Salc(CpuCore c, ref Uop u) => c.Set8(Reg.RAX, c.GetCF() ? (byte)0xFF : (byte)0);
}
