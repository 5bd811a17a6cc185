namespace Smp.Devices.Cpu.Simd;

/// <summary>The relation of two floating-point values.</summary>
internal enum FpRelation
{
    /// <summary>a &lt; b.</summary>
    Less,
    /// <summary>a = b (including +0 = −0).</summary>
    Equal,
    /// <summary>a &gt; b.</summary>
    Greater,
    /// <summary>At least one NaN.</summary>
    Unordered,
}

// Comparisons, MIN and MAX (SDM Vol. 2 CMPPS, COMISS, UCOMISS, MINPS, MAXPS).
internal static partial class SoftFloat
{
    /// <summary>
    /// Compares a with b. A NaN source sets IE when it is an SNaN, or for any NaN when <paramref name="signalsQuiet"/>
    /// (the ordered-signalling predicates, COMISS/COMISD); otherwise a denormal source sets DE.
    /// </summary>
    public static FpRelation Compare<F>(ulong a, ulong b, bool signalsQuiet, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        b = Daz<F>(b, env);
        if (Fmt<F>.IsNaN(a) || Fmt<F>.IsNaN(b))
        {
            if (signalsQuiet || Fmt<F>.IsSNaN(a) || Fmt<F>.IsSNaN(b)) env.Flags |= Mxcsr.IE;
            return FpRelation.Unordered;
        }
        DenormalCheck<F>(a, b, ref env);
        return Order<F>(a, b);
    }

    // Orders two non-NaN values.
    private static FpRelation Order<F>(ulong a, ulong b) where F : struct, IFloatFormat
    {
        if (a == b || (Fmt<F>.IsZero(a) && Fmt<F>.IsZero(b))) return FpRelation.Equal;
        bool signA = Fmt<F>.Sign(a);
        if (signA != Fmt<F>.Sign(b)) return signA ? FpRelation.Less : FpRelation.Greater;
        bool smaller = (a & Fmt<F>.AbsMask) < (b & Fmt<F>.AbsMask);
        return smaller != signA ? FpRelation.Less : FpRelation.Greater;
    }

    /// <summary>
    /// MAXPS/MAXSS/MAXPD/MAXSD: a when a &gt; b, else b. A NaN in either source (quiet or signalling) sets IE and
    /// returns the second source unchanged; two zeros return the second source (SDM Vol. 2B MAXPS).
    /// </summary>
    public static ulong Max<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => MinMax<F>(a, b, FpRelation.Greater, ref env);

    /// <summary>MINPS/MINSS/MINPD/MINSD: a when a &lt; b, else b, with MAX's NaN and zero rules.</summary>
    public static ulong Min<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => MinMax<F>(a, b, FpRelation.Less, ref env);

    private static ulong MinMax<F>(ulong a, ulong b, FpRelation pick, ref SseFp env) where F : struct, IFloatFormat
    {
        a = Daz<F>(a, env);
        b = Daz<F>(b, env);
        if (Fmt<F>.IsNaN(a) || Fmt<F>.IsNaN(b))
        {
            env.Flags |= Mxcsr.IE;
            return b;
        }
        DenormalCheck<F>(a, b, ref env);
        return Order<F>(a, b) == pick ? a : b;
    }
}
