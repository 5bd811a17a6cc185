namespace Smp.Devices.Cpu;

/// <summary>
/// The guest addresses (function entry points, as linear addresses) whose entry and return the
/// CPUs of a machine report to their <see cref="CpuObserver"/>: the basis of function spans in
/// traces. One instance is shared by all CPUs of a machine: decoded blocks are shared by physical
/// address, and a watched address always starts a block of its own.
/// </summary>
public sealed class SymbolWatch
{
    private readonly HashSet<ulong> _addresses;

    /// <summary>Creates a watch over <paramref name="entryPoints"/>.</summary>
    public SymbolWatch(IEnumerable<ulong> entryPoints) => _addresses = [.. entryPoints];

    /// <summary>Number of watched addresses.</summary>
    public int Count => _addresses.Count;

    /// <summary>True when <paramref name="linearAddress"/> is a watched entry point.</summary>
    public bool Contains(ulong linearAddress) => _addresses.Contains(linearAddress);
}
