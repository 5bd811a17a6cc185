namespace Smp.Host.Tests.Loaders;

/// <summary>CPU features a kvm-unit-tests image needs before it can pass; each is probed on the simulated CPU.</summary>
[Flags]
internal enum CpuNeeds
{
    /// <summary>Nothing beyond what the simulator always had.</summary>
    None = 0,

    /// <summary>ENDBR32/ENDBR64 as hint NOPs (every function of a -fcf-protection=full build starts with one).</summary>
    Endbr = 1,

    /// <summary>The x87 FPU (realmode's FNINIT check).</summary>
    X87 = 2,

    /// <summary>XSAVE and XCR0 (CPUID.1:ECX[26]).</summary>
    Xsave = 4,

    /// <summary>UMIP (CPUID.(7,0):ECX[2]), which QEMU gets from <c>-cpu qemu64,+umip</c>.</summary>
    Umip = 8,

    /// <summary>CLFLUSH, CLFLUSHOPT and CLWB in CPUID, which QEMU gets from <c>-cpu max</c>.</summary>
    CacheFlushes = 16,
}

/// <summary>What smp must give for one kvm-unit-tests image (the README supplies CPU counts and arguments).</summary>
/// <param name="Name">The test.</param>
/// <param name="ExitCode">The expected exit code: 1 = every check passed, as isa-debug-exit reports it.</param>
/// <param name="Summary">The expected last <c>SUMMARY:</c> line, or null when the test prints none or its count depends on the CPU model.</param>
/// <param name="Needs">CPU features the test needs; while a probe says one is missing, the run only has to end cleanly.</param>
/// <param name="Budget">The instruction budget (over all CPUs), about three times what the test takes: a test that hangs
/// ends here and never hangs the suite. A test still waiting for CPU features runs with at most <see cref="KvmUnitTestExpectations.PendingBudget"/>.</param>
/// <param name="Note">Where smp's expected result differs from QEMU 7.2's, and why (the SDM is the oracle).</param>
/// <param name="Slow">Not run by default (set <c>SMP_KVM_UNIT_TESTS_SLOW=1</c>): billions of guest instructions.</param>
internal sealed record KvmUnitTestExpectation(string Name, int ExitCode, string? Summary, CpuNeeds Needs, long Budget, string? Note = null, bool Slow = false);

/// <summary>The expectation table, one row per image in <c>shared/kvm-unit-tests/x86</c>.</summary>
internal static class KvmUnitTestExpectations
{
    private const long M = 1_000_000;

    /// <summary>The budget of a test whose CPU features are missing: it must only end cleanly (faults loop slowly).</summary>
    public const long PendingBudget = 2 * M;

    /// <summary>Every row.</summary>
    public static IReadOnlyList<KvmUnitTestExpectation> All { get; } =
    [
        new("smptest", 1, "SUMMARY: 1 tests", CpuNeeds.Endbr, 10 * M),
        new("eventinj", 1, "SUMMARY: 13 tests", CpuNeeds.Endbr, 30 * M),
        new("debug", 1, "SUMMARY: 25 tests", CpuNeeds.Endbr, 10 * M,
            "QEMU 7.2 hangs after 13 passes and 2 failures (STI-blocking cases); the SDM (Vol. 3A 6.8.3, 17.3.1) makes all 25 pass"),
        new("realmode", 1, null, CpuNeeds.Endbr | CpuNeeds.X87, 60 * M, "prints 127 PASS lines and no SUMMARY"),
        new("syscall", 1, null, CpuNeeds.Endbr, 10 * M,
            "QEMU passes it only with an AMD CPU model: on smp's Intel model SYSCALL in compatibility mode is #UD (SDM Vol. 2B, SYSCALL), " +
            "so the test dies of an unhandled #UD and exits (63 << 1) | 1") { ExitCode = 127 },
        new("tsc", 1, null, CpuNeeds.Endbr, 10 * M,
            "its count follows the CPU model's TSC features (RDTSCP, IA32_TSC_ADJUST, RDPID): QEMU -cpu max gave 3, the isa branch's model 6"),
        new("setjmp", 1, "SUMMARY: 10 tests", CpuNeeds.Endbr, 10 * M),
        new("xsave", 1, null, CpuNeeds.Endbr | CpuNeeds.Xsave, 100 * M,
            "QEMU -cpu max counts 386 checks; the count follows the XCR0 components the CPU model supports"),
        new("memory", 1, null, CpuNeeds.Endbr | CpuNeeds.CacheFlushes, 10 * M,
            "7 checks; how many are skipped follows the CPU model's cache-control features (QEMU -cpu max skips none)"),
        new("umip", 1, "SUMMARY: 21 tests", CpuNeeds.Endbr | CpuNeeds.Umip, 10 * M),
        new("sieve", 1, null, CpuNeeds.Endbr, 20_000 * M, "between 6e9 and 2e10 guest instructions (passes at 2e10, not at 6e9)", Slow: true),
        new("idt_test", 1, "SUMMARY: 4 tests", CpuNeeds.Endbr, 10 * M, "QEMU 7.2 hangs; the SDM makes all 4 pass"),
        new("rmap_chain", 1, null, CpuNeeds.Endbr, 30 * M, "prints PASS and no SUMMARY"),
        new("vmexit", 1, null, CpuNeeds.Endbr, 6_000 * M,
            "a benchmark: its cpuid loop doubles until 2^30 TSC cycles pass, over 2e9 guest instructions at our 1 GHz TSC (passes at 6e9)", Slow: true),
    ];

    /// <summary>The row for <paramref name="name"/>, or null.</summary>
    public static KvmUnitTestExpectation? For(string name) => All.FirstOrDefault(e => e.Name == name);

    /// <summary>The features of <paramref name="needs"/> the simulated CPU lacks, each with what shows it.</summary>
    public static IReadOnlyList<string> Missing(CpuNeeds needs)
    {
        var missing = new List<string>();
        if (needs.HasFlag(CpuNeeds.Endbr) && !Probes.Endbr) missing.Add("ENDBR32/64 as hint NOPs (F3 0F 1E FB raises #UD)");
        if (needs.HasFlag(CpuNeeds.X87) && !Probes.X87) missing.Add("the x87 FPU (FNINIT raises #UD)");
        if (needs.HasFlag(CpuNeeds.Xsave) && !Probes.Xsave) missing.Add("XSAVE (CPUID.1:ECX[26] clear)");
        if (needs.HasFlag(CpuNeeds.Umip) && !Probes.Umip) missing.Add("UMIP (CPUID.(7,0):ECX[2] clear)");
        if (needs.HasFlag(CpuNeeds.CacheFlushes) && !Probes.CacheFlushes) missing.Add("CLFLUSH/CLFLUSHOPT/CLWB (CPUID.1:EDX[19], CPUID.(7,0):EBX[23,24])");
        return missing;
    }

    private static class Probes
    {
        public static readonly bool Endbr = CpuProbe.Executes(0xF3, 0x0F, 0x1E, 0xFB);
        public static readonly bool X87 = CpuProbe.Executes(0xDB, 0xE3);
        public static readonly bool Xsave = (CpuProbe.Cpuid(1).Ecx & (1u << 26)) != 0;
        public static readonly bool Umip = (CpuProbe.Cpuid(7).Ecx & (1u << 2)) != 0;
        public static readonly bool CacheFlushes = (CpuProbe.Cpuid(1).Edx & (1u << 19)) != 0 && (CpuProbe.Cpuid(7).Ebx & (3u << 23)) == 3u << 23;
    }
}
