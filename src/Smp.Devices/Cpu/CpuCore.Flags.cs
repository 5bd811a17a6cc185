using System.Numerics;
using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu;

// Lazy status flags: flag-setting instructions record (kind, operands, result) and the six
// status flags are only computed when something reads them. Conditional jumps after CMP/TEST
// read one or two flags, so most are never materialised.
public sealed partial class CpuCore
{
    /// <summary>RFLAGS bits held directly: the control bits always, the status bits when <see cref="LazyOp"/> is None.</summary>
    public ulong RflagsBits = Rflags.Reserved1;

    /// <summary>Kind and size of the last flag-setting operation, or None.</summary>
    public FlagOp LazyOp;

    /// <summary>Lazy flags: the result of the last flag-setting operation.</summary>
    public ulong LazyResult;

    /// <summary>Lazy flags: the first operand (or explicit CF for <see cref="FlagOp.Explicit8"/> kinds).</summary>
    public ulong LazySrc1;

    /// <summary>Lazy flags: the second operand (or explicit OF/AF).</summary>
    public ulong LazySrc2;

    // Indexed by (op & 3): constant-length spans over static data, so the JIT drops bounds checks.
    private static ReadOnlySpan<ulong> SizeMask => [0xFF, 0xFFFF, 0xFFFF_FFFF, ulong.MaxValue];
    private static ReadOnlySpan<byte> SizeBits => [8, 16, 32, 64];

    /// <summary>Records the flags of an addition (ADD, ADC, XADD) of width 8 &lt;&lt; sizeIndex bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsAdd(int sizeIndex, ulong a, ulong b, ulong result)
    {
        LazyOp = (FlagOp)((int)FlagOp.Add8 + sizeIndex); LazySrc1 = a; LazySrc2 = b; LazyResult = result;
    }

    /// <summary>Records the flags of a subtraction (SUB, SBB, CMP, NEG, CMPXCHG, SCAS, CMPS).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsSub(int sizeIndex, ulong a, ulong b, ulong result)
    {
        LazyOp = (FlagOp)((int)FlagOp.Sub8 + sizeIndex); LazySrc1 = a; LazySrc2 = b; LazyResult = result;
    }

    /// <summary>Records the flags of a logical operation (AND, OR, XOR, TEST).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsLogic(int sizeIndex, ulong result)
    {
        LazyOp = (FlagOp)((int)FlagOp.Logic8 + sizeIndex); LazyResult = result;
    }

    /// <summary>Records the flags of INC (CF is preserved).</summary>
    public void SetFlagsInc(int sizeIndex, ulong a, ulong result)
    {
        ulong cf = GetCF() ? 1UL : 0;
        LazyOp = (FlagOp)((int)FlagOp.Inc8 + sizeIndex); LazySrc1 = a; LazySrc2 = cf; LazyResult = result;
    }

    /// <summary>Records the flags of DEC (CF is preserved).</summary>
    public void SetFlagsDec(int sizeIndex, ulong a, ulong result)
    {
        ulong cf = GetCF() ? 1UL : 0;
        LazyOp = (FlagOp)((int)FlagOp.Dec8 + sizeIndex); LazySrc1 = a; LazySrc2 = cf; LazyResult = result;
    }

    /// <summary>Records flags with explicit CF, OF and AF and ZF/SF/PF from the result (shifts, MUL, IMUL, BMI-style ops).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlagsExplicit(int sizeIndex, ulong result, bool cf, bool of, bool af = false)
    {
        LazyOp = (FlagOp)((int)FlagOp.Explicit8 + sizeIndex);
        LazyResult = result;
        LazySrc1 = cf ? 1UL : 0;
        LazySrc2 = (of ? 1UL : 0) | (af ? 2UL : 0);
    }

    /// <summary>The carry flag.</summary>
    public bool GetCF()
    {
        var op = LazyOp;
        if (op == FlagOp.None) return (RflagsBits & Rflags.CF) != 0;
        int top = SizeBits[(int)op & 3] - 1;
        ulong a = LazySrc1, b = LazySrc2, r = LazyResult;
        return ((int)op >> 2) switch
        {
            1 => ((((a & b) | ((a | b) & ~r)) >> top) & 1) != 0,
            2 => ((((~a & b) | (~(a ^ b) & r)) >> top) & 1) != 0,
            3 or 4 => b != 0,
            5 => false,
            _ => (a & 1) != 0,
        };
    }

    /// <summary>The zero flag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool GetZF()
    {
        var op = LazyOp;
        return op == FlagOp.None ? (RflagsBits & Rflags.ZF) != 0 : (LazyResult & SizeMask[(int)op & 3]) == 0;
    }

    /// <summary>The sign flag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool GetSF()
    {
        var op = LazyOp;
        return op == FlagOp.None ? (RflagsBits & Rflags.SF) != 0 : ((LazyResult >> (SizeBits[(int)op & 3] - 1)) & 1) != 0;
    }

    /// <summary>The overflow flag.</summary>
    public bool GetOF()
    {
        var op = LazyOp;
        if (op == FlagOp.None) return (RflagsBits & Rflags.OF) != 0;
        int top = SizeBits[(int)op & 3] - 1;
        ulong a = LazySrc1, b = LazySrc2, r = LazyResult;
        return ((int)op >> 2) switch
        {
            1 => ((((a ^ r) & (b ^ r)) >> top) & 1) != 0,
            2 => ((((a ^ b) & (a ^ r)) >> top) & 1) != 0,
            // INC overflows into the sign bit; DEC out of it.
            3 => (r & SizeMask[(int)op & 3]) == 1UL << top,
            4 => (r & SizeMask[(int)op & 3]) == (1UL << top) - 1,
            5 => false,
            _ => (b & 1) != 0,
        };
    }

    /// <summary>The parity flag: set when the low byte of the result has an even number of 1 bits.</summary>
    public bool GetPF()
    {
        if (LazyOp == FlagOp.None) return (RflagsBits & Rflags.PF) != 0;
        return (BitOperations.PopCount((uint)(LazyResult & 0xFF)) & 1) == 0;
    }

    /// <summary>The auxiliary carry flag (carry or borrow out of bit 3).</summary>
    public bool GetAF()
    {
        var op = LazyOp;
        if (op == FlagOp.None) return (RflagsBits & Rflags.AF) != 0;
        ulong a = LazySrc1, r = LazyResult;
        return ((int)op >> 2) switch
        {
            1 or 2 => ((a ^ LazySrc2 ^ r) & 0x10) != 0,
            3 or 4 => ((a ^ 1 ^ r) & 0x10) != 0,
            5 => false,
            _ => (LazySrc2 & 2) != 0,
        };
    }

    /// <summary>Computes the six status flags into <see cref="RflagsBits"/> and clears the lazy state.</summary>
    public void MaterializeFlags()
    {
        if (LazyOp == FlagOp.None) return;
        ulong f = RflagsBits & ~Rflags.Arithmetic;
        if (GetCF()) f |= Rflags.CF;
        if (GetPF()) f |= Rflags.PF;
        if (GetAF()) f |= Rflags.AF;
        if (GetZF()) f |= Rflags.ZF;
        if (GetSF()) f |= Rflags.SF;
        if (GetOF()) f |= Rflags.OF;
        RflagsBits = f;
        LazyOp = FlagOp.None;
    }

    /// <summary>The architectural RFLAGS value.</summary>
    public ulong GetRflags()
    {
        MaterializeFlags();
        return RflagsBits;
    }

    /// <summary>
    /// Writes RFLAGS as a whole (POPF, IRET, delivery): only writable bits change, bit 1 stays set.
    /// Callers enforce the privilege rules for IF and IOPL before calling.
    /// </summary>
    public void SetRflags(ulong value)
    {
        ulong old = RflagsBits;
        LazyOp = FlagOp.None;
        RflagsBits = (value & Rflags.Writable) | Rflags.Reserved1;
        if (((old ^ RflagsBits) & (Rflags.TF | Rflags.IF | Rflags.RF)) != 0) OnControlFlagsChanged();
    }

    /// <summary>Sets or clears one status flag, materialising the others first (CLC, STC, CMC, rotates, BT...).</summary>
    public void SetStatusFlag(ulong flag, bool value)
    {
        MaterializeFlags();
        RflagsBits = value ? RflagsBits | flag : RflagsBits & ~flag;
    }

    /// <summary>
    /// Evaluates condition code <paramref name="cc"/> in the encoding order of Jcc/SETcc/CMOVcc
    /// (0 O, 1 NO, 2 B, 3 AE, 4 E, 5 NE, 6 BE, 7 A, 8 S, 9 NS, 10 P, 11 NP, 12 L, 13 GE, 14 LE, 15 G).
    /// </summary>
    public bool Condition(int cc)
    {
        // Fast path for the common CMP/SUB/TEST/AND + Jcc pairs: answer from the lazy operands
        // without materialising individual flags.
        var op = LazyOp;
        int kind = (int)op >> 2;
        if (kind == 2 || kind == 5)
        {
            int sz = (int)op & 3;
            ulong mask = SizeMask[sz];
            ulong r0 = LazyResult & mask;
            // The ordered comparisons hold only for a plain subtraction (not SBB with a borrow in).
            bool plainSub = kind == 2 && ((LazySrc1 - LazySrc2 - LazyResult) & mask) == 0;
            bool fast;
            switch (cc >> 1)
            {
                case 2: fast = r0 == 0; break;                                             // E / NE
                case 4: fast = (r0 >> (SizeBits[sz] - 1)) != 0; break;                     // S / NS
                case 1 when plainSub: fast = (LazySrc1 & mask) < (LazySrc2 & mask); break; // B / AE
                case 3 when plainSub: fast = (LazySrc1 & mask) <= (LazySrc2 & mask); break; // BE / A
                case 6 when plainSub: fast = SignExtend(LazySrc1, sz) < SignExtend(LazySrc2, sz); break;  // L / GE
                case 7 when plainSub: fast = SignExtend(LazySrc1, sz) <= SignExtend(LazySrc2, sz); break; // LE / G
                default: return SlowCondition(cc);
            }
            return fast ^ ((cc & 1) != 0);
        }
        return SlowCondition(cc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long SignExtend(ulong v, int sizeIndex)
    {
        int shift = 64 - SizeBits[sizeIndex];
        return (long)(v << shift) >> shift;
    }

    private bool SlowCondition(int cc)
    {
        bool r = (cc >> 1) switch
        {
            0 => GetOF(),
            1 => GetCF(),
            2 => GetZF(),
            3 => GetCF() || GetZF(),
            4 => GetSF(),
            5 => GetPF(),
            6 => GetSF() != GetOF(),
            _ => GetZF() || GetSF() != GetOF(),
        };
        return r ^ ((cc & 1) != 0);
    }
}
