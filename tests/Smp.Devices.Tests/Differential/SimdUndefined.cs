using Iced.Intel;
using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// What the SDM leaves to the implementation in MMX/SSE results, so differential tests compare only the rest:
/// RCPPS/RCPSS/RSQRTPS/RSQRTSS return any value within 1.5 × 2^−12 relative error of the exact result (and RCP*
/// may or may not flush results for inputs between 1.11111111110100000000000B × 2^125 and
/// 1.00000000000110000000001B × 2^126), SDM Vol. 2B RCPPS/RSQRTPS; DPPS/DPPD with two or more NaN products return
/// an implementation-dependent one of them ("horizontal propagation of NaNs", SDM Vol. 2A DPPS).
/// </summary>
internal static class SimdUndefined
{
    /// <summary>32 or 64 when the instruction's memory operand holds floating-point elements (single/double), else 0.</summary>
    public static int FloatBits(Code code)
    {
        var m = code.ToOpCode().MemorySize;
        var e = m.GetElementType();
        if (e is MemorySize.Float32) return 32;
        if (e is MemorySize.Float64) return 64;
        // Register-only or integer-memory forms of FP conversions: decide by mnemonic.
        var mn = code.Mnemonic();
        string name = mn.ToString();
        if (name.StartsWith("Cvt", StringComparison.Ordinal) && (name.Contains("ss", StringComparison.Ordinal) || name.Contains("ps", StringComparison.Ordinal)) && !name.StartsWith("Cvtdq", StringComparison.Ordinal) && !name.StartsWith("Cvtpi", StringComparison.Ordinal) && !name.StartsWith("Cvtsi", StringComparison.Ordinal)) return 32;
        if (name.StartsWith("Cvt", StringComparison.Ordinal) && (name.Contains("sd", StringComparison.Ordinal) || name.Contains("pd", StringComparison.Ordinal)) && !name.StartsWith("Cvtsi", StringComparison.Ordinal) && !name.StartsWith("Cvtpi", StringComparison.Ordinal)) return 64;
        return mn is Mnemonic.Movmskps or Mnemonic.Movhlps or Mnemonic.Movlhps ? 32 : mn is Mnemonic.Movmskpd ? 64 : 0;
    }

    /// <summary>
    /// The expected image after <paramref name="instr"/>: the host's, except that destination elements whose value the SDM
    /// leaves open take the simulator's value when it is an allowed one.
    /// </summary>
    public static FxsaveImage Tolerate(in Instruction instr, FxsaveImage input, FxsaveImage host, FxsaveImage sim, MachineState state)
    {
        if (instr.Mnemonic is Mnemonic.Dpps or Mnemonic.Dppd) return DotProduct(instr, input, host, sim, state);
        if (instr.Mnemonic is not (Mnemonic.Rcpps or Mnemonic.Rcpss or Mnemonic.Rsqrtps or Mnemonic.Rsqrtss)) return host;
        var expected = host.Clone();
        int dst = instr.Op0Register - Register.XMM0;
        int lanes = instr.Mnemonic is Mnemonic.Rcpps or Mnemonic.Rsqrtps ? 4 : 1;
        bool reciprocal = instr.Mnemonic is Mnemonic.Rcpps or Mnemonic.Rcpss;
        var (hlo, hhi) = host.GetXmm(dst);
        var (slo, shi) = sim.GetXmm(dst);
        var src = SourceLanes(instr, input);
        ulong lo = hlo, hi = hhi;
        for (int i = 0; i < lanes; i++)
        {
            uint h = Lane(hlo, hhi, i), s = Lane(slo, shi, i);
            if (h != s && Allowed(reciprocal, src[i], h, s)) SetLane(ref lo, ref hi, i, s);
        }
        expected.SetXmm(dst, lo, hi);
        return expected;
    }

    private static uint[] SourceLanes(in Instruction instr, FxsaveImage input)
    {
        // The source register is XMM op1; memory forms are compared exactly by value only through the allowance below.
        if (instr.Op1Kind != OpKind.Register) return [0, 0, 0, 0];
        var (lo, hi) = input.GetXmm(instr.Op1Register - Register.XMM0);
        return [Lane(lo, hi, 0), Lane(lo, hi, 1), Lane(lo, hi, 2), Lane(lo, hi, 3)];
    }

    private static uint Lane(ulong lo, ulong hi, int i) => (uint)((i < 2 ? lo : hi) >> (32 * (i & 1)));

    private static void SetLane(ref ulong lo, ref ulong hi, int i, uint v)
    {
        ref ulong q = ref i < 2 ? ref lo : ref hi;
        int shift = 32 * (i & 1);
        q = (q & ~(0xFFFF_FFFFUL << shift)) | ((ulong)v << shift);
    }

    // Both results finite, nonzero and of one sign, within 1.5 × 2^−12 of each other relative to the simulator's
    // (nearly exact) value; or, for RCP, a flush-to-zero difference inside the implementation-dependent input range.
    private static bool Allowed(bool reciprocal, uint x, uint h, uint s)
    {
        static bool FiniteNonzero(uint v) => (v & 0x7F80_0000u) != 0x7F80_0000u && (v & 0x7FFF_FFFFu) != 0;
        if (reciprocal && ((h & 0x7FFF_FFFFu) == 0 || (s & 0x7FFF_FFFFu) == 0))
        {
            uint m = x & 0x7FFF_FFFFu;
            return m >= 0x7E7F_E800u && m <= 0x7E80_0C01u && (h >> 31) == (s >> 31);
        }
        if (!FiniteNonzero(h) || !FiniteNonzero(s) || (h >> 31) != (s >> 31)) return false;
        double hv = BitConverter.UInt32BitsToSingle(h), sv = BitConverter.UInt32BitsToSingle(s);
        return Math.Abs(hv - sv) <= Math.Abs(sv) * 1.5 / 4096 * (1 + 1.0 / 1024);
    }

    // The destination of DPPS/DPPD is left to the implementation when two or more included products are NaNs.
    private static FxsaveImage DotProduct(in Instruction instr, FxsaveImage input, FxsaveImage host, FxsaveImage sim, MachineState state)
    {
        bool single = instr.Mnemonic == Mnemonic.Dpps;
        int dst = instr.Op0Register - Register.XMM0;
        var (alo, ahi) = input.GetXmm(dst);
        ulong blo, bhi;
        if (instr.Op1Kind == OpKind.Register) (blo, bhi) = input.GetXmm(instr.Op1Register - Register.XMM0);
        else
        {
            int offset = (int)(state.Gpr[instr.MemoryBase - Register.RAX] - HostCpu.MemoryBase) + (int)(long)instr.MemoryDisplacement64;
            (blo, bhi) = (state.ReadU64(offset), state.ReadU64(offset + 8));
        }
        int nanProducts = 0;
        int lanes = single ? 4 : 2;
        for (int i = 0; i < lanes; i++)
        {
            if ((instr.Immediate8 & (0x10 << i)) == 0) continue;
            if (single)
            {
                uint x = Lane(alo, ahi, i), y = Lane(blo, bhi, i);
                if (NaN32(x) || NaN32(y) || (Inf32(x) && Zero32(y)) || (Zero32(x) && Inf32(y))) nanProducts++;
            }
            else
            {
                ulong x = i == 0 ? alo : ahi, y = i == 0 ? blo : bhi;
                if (NaN64(x) || NaN64(y) || (Inf64(x) && Zero64(y)) || (Zero64(x) && Inf64(y))) nanProducts++;
            }
        }
        if (nanProducts < 2) return host;
        var expected = host.Clone();
        var (slo, shi) = sim.GetXmm(dst);
        expected.SetXmm(dst, slo, shi);
        return expected;
    }

    private static bool NaN32(uint v) => (v & 0x7FFF_FFFFu) > 0x7F80_0000u;
    private static bool Inf32(uint v) => (v & 0x7FFF_FFFFu) == 0x7F80_0000u;
    private static bool Zero32(uint v) => (v & 0x7F80_0000u) == 0;   // zeros and denormals (DAZ may make a denormal zero)
    private static bool NaN64(ulong v) => (v & 0x7FFF_FFFF_FFFF_FFFFUL) > 0x7FF0_0000_0000_0000UL;
    private static bool Inf64(ulong v) => (v & 0x7FFF_FFFF_FFFF_FFFFUL) == 0x7FF0_0000_0000_0000UL;
    private static bool Zero64(ulong v) => (v & 0x7FF0_0000_0000_0000UL) == 0;
}
