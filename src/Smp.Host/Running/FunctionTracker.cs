using Smp.Devices.Cpu;
using Smp.Host.Telemetry;

namespace Smp.Host.Running;

/// <summary>
/// Follows one CPU through the watched guest functions: the last phase it reached (for "CPU 3 did
/// not come up, last in trampoline_start"), when it first entered each function (the online time
/// is the first entry into <c>cpu_idle</c>), and function spans for a trace when one is recorded.
/// It also sees a Linux kernel panic: <c>panic()</c> entered, then its final loop reached.
/// </summary>
internal sealed class FunctionTracker(int cpuIndex, IReadOnlyDictionary<ulong, string> names, BootTrace? trace) : CpuObserver
{
    private readonly Dictionary<string, long> _firstEntry = [];
    private bool _inPanic, _panicReported;

    /// <summary>The last watched function this CPU entered, or null before any.</summary>
    public string? LastPhase { get; private set; }

    /// <summary>The last watched function this CPU entered before <c>panic()</c>, or null when it has not panicked.</summary>
    public string? PhaseBeforePanic { get; private set; }

    /// <summary>
    /// Called once with this CPU's index and a description when its kernel's <c>panic()</c> reaches its final loop (the
    /// panic's last line is printed by then); null when nothing should happen.
    /// </summary>
    public Action<int, string>? Panicked { get; init; }

    /// <summary>Simulated time of the first entry into <paramref name="symbol"/>, or null if never entered.</summary>
    public long? FirstEntry(string symbol) => _firstEntry.TryGetValue(symbol, out var t) ? t : null;

    /// <inheritdoc />
    public override void FunctionEntered(CpuCore cpu, ulong address, ulong rsp)
    {
        if (!names.TryGetValue(address, out var name)) return;
        long now = cpu.SimulatedNanoseconds;
        if (name == SymbolWatchList.PanicSymbol && !_inPanic)
        {
            _inPanic = true;
            PhaseBeforePanic = LastPhase ?? "none";
        }
        else if (_inPanic && !_panicReported && SymbolWatchList.PanicLoopSymbols.Contains(name))
        {
            _panicReported = true;
            Panicked?.Invoke(cpuIndex, $"panic() reached its final loop; the last watched function before it was {PhaseBeforePanic}");
        }

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
