using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// SHLD and SHRD (SDM Vol. 2B "SHLD", "SHRD"): the destination is shifted and the vacated bits are
/// filled from the source register. The count is masked to 5 bits (6 for 64-bit); 0 changes nothing
/// (a 32-bit register destination is still zero-extended). A 16-bit count above 16 is undefined by the
/// SDM: we shift the 48-bit pattern dest:src:dest, as P6-family processors do.
/// </summary>
internal static unsafe class ShiftsDouble
{
    [InstructionFamily]
    internal static void Register()
    {
        RegisterOp(Mnemonic.Shld, left: true);
        RegisterOp(Mnemonic.Shrd, left: false);
    }

    private static void RegisterOp(Mnemonic m, bool left)
    {
        foreach (var code in AluCodes.Of(m))
        {
            int s = AluCodes.SizeIndex(code);
            bool cl = AluCodes.IsCl(code, 2);
            delegate*<CpuCore, ref Uop, void> h = (left, cl, s) switch
            {
                (true, true, 1) => &Double<Size16, CountCl, Left>,
                (true, true, 2) => &Double<Size32, CountCl, Left>,
                (true, true, _) => &Double<Size64, CountCl, Left>,
                (true, false, 1) => &Double<Size16, CountImm, Left>,
                (true, false, 2) => &Double<Size32, CountImm, Left>,
                (true, false, _) => &Double<Size64, CountImm, Left>,
                (false, true, 1) => &Double<Size16, CountCl, Right>,
                (false, true, 2) => &Double<Size32, CountCl, Right>,
                (false, true, _) => &Double<Size64, CountCl, Right>,
                (false, false, 1) => &Double<Size16, CountImm, Right>,
                (false, false, 2) => &Double<Size32, CountImm, Right>,
                (false, false, _) => &Double<Size64, CountImm, Right>,
            };
            HandlerTable.Register(code, h);
        }
    }

    private interface IDirection
    {
        static abstract bool IsLeft { get; }
    }

    private struct Left : IDirection
    {
        public static bool IsLeft => true;
    }

    private struct Right : IDirection
    {
        public static bool IsLeft => false;
    }

    private static void Double<TS, TC, TD>(CpuCore c, ref Uop u)
        where TS : struct, IOperandSize where TC : struct, IShiftCount where TD : struct, IDirection
    {
        int count = TC.Get(c, ref u) & (TS.Bits == 64 ? 63 : 31);
        ulong src = TS.Get(c, u.R1);
        ulong r;
        bool cf;
        if (Alu.Op0IsRegister<TS>(ref u))
        {
            ulong a = TS.Get(c, u.R0);
            if (count == 0)
            {
                if (TS.Bits == 32) c.Set32(u.R0, (uint)a);
                return;
            }
            r = Compute<TS, TD>(a, src, count, out cf);
            TS.Set(c, u.R0, r);
            c.SetFlagsExplicit(TS.Index, r, cf, Alu.Msb<TS>(r ^ a));
        }
        else
        {
            ulong la = c.OperandAddress(ref u, TS.Bytes, true);
            ulong a = TS.Read(c, la);
            if (count == 0) return;
            r = Compute<TS, TD>(a, src, count, out cf);
            TS.Write(c, la, r);
            c.SetFlagsExplicit(TS.Index, r, cf, Alu.Msb<TS>(r ^ a));
        }
    }

    private static ulong Compute<TS, TD>(ulong a, ulong src, int count, out bool cf)
        where TS : struct, IOperandSize where TD : struct, IDirection
    {
        if (TS.Bits == 16)
        {
            ulong v = (a << 32) | (src << 16) | a;
            if (TD.IsLeft)
            {
                ulong w = v << count;
                cf = ((w >> 48) & 1) != 0;
                return (w >> 32) & 0xFFFF;
            }
            cf = ((v >> (count - 1)) & 1) != 0;
            return (v >> count) & 0xFFFF;
        }
        if (TD.IsLeft)
        {
            cf = ((a >> (TS.Bits - count)) & 1) != 0;
            return ((a << count) | (src >> (TS.Bits - count))) & TS.Mask;
        }
        cf = ((a >> (count - 1)) & 1) != 0;
        return ((a >> count) | (src << (TS.Bits - count))) & TS.Mask;
    }
}
