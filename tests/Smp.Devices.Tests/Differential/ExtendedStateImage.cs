using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Fpu;
using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// Moves the x87/SSE state between an oracle <see cref="FxsaveImage"/> (64-bit FXSAVE layout) and a simulated
/// <see cref="CpuCore"/>, as FXRSTOR64 and FXSAVE64 would: ST(i) slots in stack order, the abridged tag word expanded
/// to the full one from each register's contents (SDM Vol. 2A FXRSTOR; Vol. 1 §8.1.7).
/// </summary>
internal static class ExtendedStateImage
{
    /// <summary>Loads <paramref name="fx"/> into <paramref name="c"/> (FXRSTOR64).</summary>
    public static void LoadInto(FxsaveImage fx, CpuCore c)
    {
        c.Fcw = fx.Fcw;
        c.Fsw = fx.Fsw;
        c.Fop = (ushort)(fx.Fop & 0x7FF);
        c.FpuIp = fx.Fip;
        c.FpuDp = fx.Fdp;
        c.FpuCs = c.FpuDs = 0;
        int top = fx.Top;
        ushort ftw = 0;
        for (int i = 0; i < 8; i++)
        {
            var (m, se) = fx.GetSt(i);
            int phys = (top + i) & 7;
            var value = new Float80(m, se);
            c.FpuRegisters[phys] = value;
        }
        for (int phys = 0; phys < 8; phys++)
            ftw |= (ushort)(((fx.Ftw >> phys) & 1) != 0 ? c.FpuRegisters[phys].Tag << (2 * phys) : 3 << (2 * phys));
        c.Ftw = ftw;
        c.Mxcsr = fx.Mxcsr;
        for (int n = 0; n < 16; n++)
        {
            var (lo, hi) = fx.GetXmm(n);
            c.Xmm[2 * n] = lo;
            c.Xmm[2 * n + 1] = hi;
        }
    }

    /// <summary>The state of <paramref name="c"/> as FXSAVE64 stores it (MXCSR_MASK as this host reports it).</summary>
    public static FxsaveImage Capture(CpuCore c)
    {
        var fx = new FxsaveImage
        {
            Fcw = c.Fcw,
            Fsw = c.Fsw,
            Fop = c.Fop,
            Fip = c.FpuIp,
            Fdp = c.FpuDp,
            Mxcsr = c.Mxcsr,
            MxcsrMask = HostCpu.HostMxcsrMask,
        };
        byte abridged = 0;
        for (int phys = 0; phys < 8; phys++)
            if (((c.Ftw >> (2 * phys)) & 3) != 3) abridged |= (byte)(1 << phys);
        fx.Ftw = abridged;
        int top = (c.Fsw >> 11) & 7;
        for (int i = 0; i < 8; i++)
        {
            var r = c.FpuRegisters[(top + i) & 7];
            fx.SetSt(i, r.Significand, r.SignExponent);
        }
        for (int n = 0; n < 16; n++)
            fx.SetXmm(n, c.Xmm[2 * n], c.Xmm[2 * n + 1]);
        return fx;
    }
}
