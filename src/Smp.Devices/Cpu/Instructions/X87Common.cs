using Iced.Intel;
using Smp.Devices.Cpu.Fpu;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// What every x87 family shares: operand decoding (ST(i) numbers, memory formats), the stack-fault checks and their
/// masked responses (SDM Vol. 1 §8.5.1.1), and committing an operation's result, flags and C1.
/// </summary>
internal static class X87Common
{
    /// <summary>The i of an ST(i) operand.</summary>
    public static int St(ref Uop u, int operand) => u.Instr.GetOpRegister(operand) - Register.ST0;

    /// <summary>
    /// Stack underflow (reading an empty register): IE and SF with C1 = 0. Returns true when IE is masked, so the
    /// caller delivers the indefinite; false when the instruction must leave the stack alone (SDM Vol. 1 §8.5.1.1).
    /// </summary>
    public static bool Underflow(CpuCore c)
    {
        c.FpuSignal(X87Sw.IE | X87Sw.SF);
        c.FpuSetC1(false);
        return (c.Fcw & X87Sw.IE) != 0;
    }

    /// <summary>Stack overflow (pushing onto a non-empty register): IE and SF with C1 = 1; true when masked (the indefinite is pushed).</summary>
    public static bool Overflow(CpuCore c)
    {
        c.FpuSignal(X87Sw.IE | X87Sw.SF);
        c.FpuSetC1(true);
        return (c.Fcw & X87Sw.IE) != 0;
    }

    /// <summary>True when a push would overflow the stack (the register below TOP is in use).</summary>
    public static bool PushOverflows(CpuCore c) => !c.FpuIsEmpty(7);

    /// <summary>
    /// Writes an operation's result to ST(<paramref name="dst"/>) and pops when asked, unless an unmasked IE, DE or ZE
    /// forbids a result (SDM Vol. 1 §8.5: the operands and TOP stay unchanged); flags and C1 (rounded up) go to FSW.
    /// Unmasked OE/UE still deliver the exponent-adjusted result to a register destination (§8.5.4, §8.5.5).
    /// </summary>
    public static void Commit(CpuCore c, int dst, Float80 result, ref FpEnv env, bool pop)
    {
        if (env.PreComputationFault)
        {
            c.FpuSetC1(false);
            c.FpuSignal(env.Flags);
            return;
        }
        c.SetSt(dst, result);
        c.FpuSetC1(env.RoundedUp && (env.Flags & X87Sw.PE) != 0);
        c.FpuSignal(env.Flags);
        if (pop) c.FpuPop();
    }

    /// <summary>Signals an operation's flags and C1 when it stores to memory or produces no register result.</summary>
    public static void SignalFlags(CpuCore c, ref FpEnv env)
    {
        c.FpuSetC1(env.RoundedUp && (env.Flags & X87Sw.PE) != 0);
        c.FpuSignal(env.Flags);
    }

    /// <summary>
    /// DE for a denormal single/double memory operand, raised only when neither operand is a NaN or unsupported
    /// (those take precedence, SDM Vol. 1 §4.9.2).
    /// </summary>
    public static void SourceDenormal(Float80 other, Float80 source, bool denormal, ref FpEnv env)
    {
        if (denormal && !other.IsNaN && !other.IsUnsupported && !source.IsNaN) env.Flags |= X87Sw.DE;
    }

    /// <summary>True when an exception in <paramref name="bits"/> was raised and is unmasked.</summary>
    public static bool Unmasked(ref FpEnv env, int bits) => (env.Flags & ~env.Masks & bits) != 0;

    // ---- memory formats --------------------------------------------------------------------------------

    /// <summary>Reads an 80-bit value (significand, then sign/exponent) at linear address <paramref name="la"/>.</summary>
    public static Float80 Read80(CpuCore c, ulong la, ulong wrap)
    {
        ulong m = c.Read64(la);
        ushort se = c.Read16((la + 8) & wrap);
        return new Float80(m, se);
    }

    /// <summary>Writes an 80-bit value; both ends are checked for a write first, so a fault leaves memory untouched.</summary>
    public static void Write80(CpuCore c, ulong la, ulong wrap, ulong low, ushort high)
    {
        ProbeWrite(c, la, 10, wrap);
        c.Write64(la, low);
        c.Write16((la + 8) & wrap, high);
    }

    /// <summary>Translates the last byte of a multi-part store for writing, so that a #PF on a second page comes before any write.</summary>
    public static void ProbeWrite(CpuCore c, ulong la, int size, ulong wrap)
    {
        ulong last = (la + (ulong)size - 1) & wrap;
        c.Write8(last, c.Read8(last));
    }

    /// <summary>The linear-address wrap of the current mode (32-bit outside 64-bit mode).</summary>
    public static ulong Wrap(CpuCore c) => c.Is64 ? ulong.MaxValue : 0xFFFF_FFFFUL;
}

/// <summary>
/// An x87 memory source format (m32fp, m64fp, m16int, m32int, m64int): its size, and its value as FLD/FILD load it
/// (<see cref="Load"/>: SNaN quieted with IE, denormal with DE) or as an arithmetic/compare operand
/// (<see cref="Operand"/>: SNaN kept for the operation's NaN rules, DE left to <see cref="IsDenormal"/>).
/// </summary>
internal interface IX87Source
{
    static abstract int Bytes { get; }
    static abstract bool IsDenormal(ulong raw);
    static abstract Float80 Load(ulong raw, ref FpEnv env);
    static abstract Float80 Operand(ulong raw, ref FpEnv env);
}

/// <summary>m32fp.</summary>
internal struct Float32Source : IX87Source
{
    public static int Bytes => 4;
    public static bool IsDenormal(ulong raw) => X87Math.IsDenormalBinary(raw, 23, 8);
    public static Float80 Load(ulong raw, ref FpEnv env) => X87Math.FromBinary(raw, 23, 8, ref env);
    public static Float80 Operand(ulong raw, ref FpEnv env) => X87Math.FromBinary(raw, 23, 8, ref env, operand: true);
}

/// <summary>m64fp.</summary>
internal struct Float64Source : IX87Source
{
    public static int Bytes => 8;
    public static bool IsDenormal(ulong raw) => X87Math.IsDenormalBinary(raw, 52, 11);
    public static Float80 Load(ulong raw, ref FpEnv env) => X87Math.FromBinary(raw, 52, 11, ref env);
    public static Float80 Operand(ulong raw, ref FpEnv env) => X87Math.FromBinary(raw, 52, 11, ref env, operand: true);
}

/// <summary>m16int.</summary>
internal struct Int16Source : IX87Source
{
    public static int Bytes => 2;
    public static bool IsDenormal(ulong raw) => false;
    public static Float80 Load(ulong raw, ref FpEnv env) => X87Math.FromInt64((short)raw);
    public static Float80 Operand(ulong raw, ref FpEnv env) => X87Math.FromInt64((short)raw);
}

/// <summary>m32int.</summary>
internal struct Int32Source : IX87Source
{
    public static int Bytes => 4;
    public static bool IsDenormal(ulong raw) => false;
    public static Float80 Load(ulong raw, ref FpEnv env) => X87Math.FromInt64((int)raw);
    public static Float80 Operand(ulong raw, ref FpEnv env) => X87Math.FromInt64((int)raw);
}

/// <summary>m64int.</summary>
internal struct Int64Source : IX87Source
{
    public static int Bytes => 8;
    public static bool IsDenormal(ulong raw) => false;
    public static Float80 Load(ulong raw, ref FpEnv env) => X87Math.FromInt64((long)raw);
    public static Float80 Operand(ulong raw, ref FpEnv env) => X87Math.FromInt64((long)raw);
}
