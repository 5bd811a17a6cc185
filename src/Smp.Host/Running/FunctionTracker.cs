using Smp.Devices.Cpu;
using Smp.Host.Telemetry;

namespace Smp.Host.Running;

/// <summary>
/// Follows one CPU through the watched guest functions: the last phase it reached (for "CPU 3 did
/// not come up, last in trampoline_start"), when it first entered each function (the online time
/// is the first entry into <c>cpu_idle</c>), and function spans for a trace when one is recorded.
/// It also remembers where the CPU was when it entered Linux's <c>panic()</c>, for the panic report.
/// </summary>
internal sealed class FunctionTracker(int cpuIndex, IReadOnlyDictionary<ulong, string> names, BootTrace? trace) : CpuObserver
{
    private readonly Dictionary<string, long> _firstEntry = [];

    /// <summary>The last watched function this CPU entered, or null before any.</summary>
    public string? LastPhase { get; private set; }

    /// <summary>The last watched function this CPU entered before <c>panic()</c> ("none" if none), or null when it has not panicked.</summary>
    public string? PhaseBeforePanic { get; private set; }

    /// <summary>Simulated time of the first entry into <paramref name="symbol"/>, or null if never entered.</summary>
    public long? FirstEntry(string symbol) => _firstEntry.TryGetValue(symbol, out var t) ? t : null;

    /// <inheritdoc />
    public override void FunctionEntered(CpuCore cpu, ulong address, ulong rsp)
    {
        if (!names.TryGetValue(address, out var name)) return;
        long now = cpu.SimulatedNanoseconds;
        if (name == SymbolWatchList.PanicSymbol) PhaseBeforePanic ??= LastPhase ?? "none";
        LastPhase = name;
        _firstEntry.TryAdd(name, now);
        // The mode at entry tells a real-mode trampoline_start from a 64-bit function.
        trace?.FunctionEntered(cpuIndex, name, now, rsp).SetAttribute("cpu.mode", cpu.Mode.ToString());
    }

    /// <inheritdoc />
    public override void FunctionReturned(CpuCore cpu, ulong address)
    {
        if (names.TryGetValue(address, out var name)) trace?.FunctionReturned(cpuIndex, name, cpu.SimulatedNanoseconds);
    }
}
