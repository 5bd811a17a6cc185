namespace Smp.Devices.Cpu.Jit;

/// <summary>
/// The translator's work in this process so far, for benchmarks: how many regions the background thread compiled, what
/// that cost, and how many still wait. On a host whose cores are all busy the waiting count says whether the compiler
/// kept up with the code the guest runs.
/// </summary>
/// <param name="Compiled">Regions compiled.</param>
/// <param name="CompileTime">Host time spent compiling them, the .NET JIT's included.</param>
/// <param name="IlBytes">IL bytes of those regions.</param>
/// <param name="Waiting">Regions queued and not compiled yet.</param>
public sealed record JitStatistics(long Compiled, TimeSpan CompileTime, long IlBytes, int Waiting)
{
    /// <summary>The figures now.</summary>
    public static JitStatistics Now() => new(TranslationCache.Compiled,
        System.Diagnostics.Stopwatch.GetElapsedTime(0, TranslationCache.CompileTicks), TranslationCache.IlBytes, TranslationCache.Waiting);

    /// <summary>
    /// Forgets every translation this process made and every region waiting for the compiler, so that the next machine
    /// starts as the first one did (benchmark rounds). Only between runs: a running machine would interpret its code.
    /// </summary>
    public static void ForgetTranslations() => TranslationCache.Clear();

    /// <summary>What happened between <paramref name="earlier"/> and this snapshot (Waiting stays this snapshot's).</summary>
    public JitStatistics Since(JitStatistics earlier) =>
        new(Compiled - earlier.Compiled, CompileTime - earlier.CompileTime, IlBytes - earlier.IlBytes, Waiting);
}
