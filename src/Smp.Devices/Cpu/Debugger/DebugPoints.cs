namespace Smp.Devices.Cpu.Debugger;

/// <summary>
/// A debugger's breakpoints and watchpoints, shared by the CPUs of a machine (as gdb's are: a breakpoint stops whichever
/// CPU reaches it). Nothing is written into guest memory and the guest's DR0–DR7 are not used: a breakpoint address
/// always starts a decoded block of its own, so it is checked per block, and a watched page is never cached in a CPU's
/// TLB, so only accesses to it take the slow path that checks. Change it only while the machine is paused, then call
/// <see cref="Cpu.CpuCore.OnDebugPointsChanged"/> on every CPU.
/// </summary>
public sealed class DebugPoints
{
    private readonly HashSet<ulong> _software = [];
    private readonly HashSet<ulong> _hardware = [];
    private readonly List<Watchpoint> _watchpoints = [];
    private readonly HashSet<ulong> _watchedPages = [];

    /// <summary>The most watchpoints at once (each access to a watched page takes the slow path and checks every one).</summary>
    public const int MaxWatchpoints = 64;

    /// <summary>The longest range a watchpoint may cover, in bytes.</summary>
    public const ulong MaxWatchLength = 1UL << 20;

    /// <summary>True when at least one breakpoint is set.</summary>
    public bool HasBreakpoints => _software.Count + _hardware.Count > 0;

    /// <summary>True when at least one watchpoint is set.</summary>
    public bool HasWatchpoints => _watchpoints.Count > 0;

    /// <summary>Bumped by every change to the breakpoints (CPUs then re-decode, so that each breakpoint starts a block).</summary>
    public int BreakpointVersion { get; private set; }

    /// <summary>Bumped by every change to the watchpoints (CPUs then drop their cached translations of watched pages).</summary>
    public int WatchVersion { get; private set; }

    /// <summary>The watchpoints, in the order they were set.</summary>
    public IReadOnlyList<Watchpoint> Watchpoints => _watchpoints;

    /// <summary>The linear pages (address / 4096) that hold a watched byte.</summary>
    public IReadOnlyCollection<ulong> WatchedPages => _watchedPages;

    /// <summary>Whether a breakpoint (of either kind) is set at <paramref name="linearAddress"/>.</summary>
    /// <param name="linearAddress">A linear address.</param>
    /// <returns>True when a CPU about to execute there stops.</returns>
    public bool IsBreakpoint(ulong linearAddress) => _software.Contains(linearAddress) || _hardware.Contains(linearAddress);

    /// <summary>Whether a software breakpoint (gdb's Z0) is set at <paramref name="linearAddress"/>.</summary>
    /// <param name="linearAddress">A linear address.</param>
    /// <returns>True for a Z0 breakpoint.</returns>
    public bool IsSoftwareBreakpoint(ulong linearAddress) => _software.Contains(linearAddress);

    /// <summary>Sets a breakpoint; setting one that is set changes nothing (gdb's Z and z packets are idempotent).</summary>
    /// <param name="linearAddress">The linear address of the instruction.</param>
    /// <param name="hardware">A hardware breakpoint (Z1) rather than a software one (Z0); both work the same way here.</param>
    public void AddBreakpoint(ulong linearAddress, bool hardware)
    {
        if ((hardware ? _hardware : _software).Add(linearAddress)) BreakpointVersion++;
    }

    /// <summary>Removes the breakpoint of that kind at <paramref name="linearAddress"/>, if any.</summary>
    /// <param name="linearAddress">The linear address.</param>
    /// <param name="hardware">Which kind.</param>
    public void RemoveBreakpoint(ulong linearAddress, bool hardware)
    {
        if ((hardware ? _hardware : _software).Remove(linearAddress)) BreakpointVersion++;
    }

    /// <summary>Sets a watchpoint (idempotent, as gdb's Z packets are).</summary>
    /// <param name="watchpoint">The range and kind.</param>
    /// <returns>False when the range is empty, longer than <see cref="MaxWatchLength"/>, wraps, or <see cref="MaxWatchpoints"/> are set.</returns>
    public bool AddWatchpoint(Watchpoint watchpoint)
    {
        if (_watchpoints.Contains(watchpoint)) return true;
        if (watchpoint.Length == 0 || watchpoint.Length > MaxWatchLength || watchpoint.Address + watchpoint.Length < watchpoint.Address
            || _watchpoints.Count >= MaxWatchpoints)
        {
            return false;
        }

        _watchpoints.Add(watchpoint);
        RebuildPages();
        return true;
    }

    /// <summary>Removes the watchpoint equal to <paramref name="watchpoint"/>, if any.</summary>
    /// <param name="watchpoint">The range and kind it was set with.</param>
    public void RemoveWatchpoint(Watchpoint watchpoint)
    {
        if (_watchpoints.Remove(watchpoint)) RebuildPages();
    }

    /// <summary>Removes every breakpoint and watchpoint (a debugger detached).</summary>
    public void Clear()
    {
        _software.Clear();
        _hardware.Clear();
        _watchpoints.Clear();
        BreakpointVersion++;
        RebuildPages();
    }

    /// <summary>The first watchpoint an access triggers, or null.</summary>
    /// <param name="address">The accessed linear address.</param>
    /// <param name="size">The access size in bytes.</param>
    /// <param name="write">A write (else a read).</param>
    /// <returns>The watchpoint, or null.</returns>
    public Watchpoint? Match(ulong address, int size, bool write)
    {
        foreach (var w in _watchpoints)
            if (w.Triggers(address, size, write)) return w;
        return null;
    }

    /// <summary>Whether the linear page holding <paramref name="linearAddress"/> holds a watched byte.</summary>
    /// <param name="linearAddress">A linear address.</param>
    /// <returns>True for a watched page.</returns>
    public bool WatchesPage(ulong linearAddress) => _watchedPages.Contains(linearAddress >> 12);

    private void RebuildPages()
    {
        _watchedPages.Clear();
        foreach (var w in _watchpoints)
            for (ulong page = w.Address >> 12; page <= (w.Address + w.Length - 1) >> 12; page++) _watchedPages.Add(page);
        WatchVersion++;
    }
}
