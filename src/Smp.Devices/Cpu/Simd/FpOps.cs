namespace Smp.Devices.Cpu.Simd;

/// <summary>A two-source floating-point operation applied element by element (ADDPS, MULSD, MAXPS…).</summary>
internal interface IFpBinary
{
    /// <summary>The result for one element pair.</summary>
    static abstract ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat;
}

/// <summary>Addition.</summary>
internal struct FpAdd : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Add<F>(a, b, ref env);
}

/// <summary>Subtraction.</summary>
internal struct FpSub : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Sub<F>(a, b, ref env);
}

/// <summary>Multiplication.</summary>
internal struct FpMul : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Mul<F>(a, b, ref env);
}

/// <summary>Division.</summary>
internal struct FpDiv : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Div<F>(a, b, ref env);
}

/// <summary>MIN with the SSE NaN and zero rules.</summary>
internal struct FpMin : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Min<F>(a, b, ref env);
}

/// <summary>MAX with the SSE NaN and zero rules.</summary>
internal struct FpMax : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Max<F>(a, b, ref env);
}

/// <summary>Square root of the second source (the first is ignored).</summary>
internal struct FpSqrt : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Sqrt<F>(b, ref env);
}

/// <summary>RCPPS/RCPSS: the approximate reciprocal of the second source (singles only; sets no flag).</summary>
internal struct FpReciprocal : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.Reciprocal((uint)b);
}

/// <summary>RSQRTPS/RSQRTSS: the approximate reciprocal square root of the second source (singles only; sets no flag).</summary>
internal struct FpReciprocalSqrt : IFpBinary
{
    public static ulong Apply<F>(ulong a, ulong b, ref SseFp env) where F : struct, IFloatFormat => SoftFloat.ReciprocalSqrt((uint)b);
}
