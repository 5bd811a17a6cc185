using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu;

// Function entry/return reporting for watched symbols. The decoder ends a block before a watched
// address, so entry is seen once per block fetch (a flag on the block, no lookup per execution).
// A function has returned when RSP rises above the RSP it was entered with (RET, and anything
// else that pops its frame, always ends a block, so checking at block fetch is exact enough).
public sealed partial class CpuCore
{
    // Open frames of watched functions, innermost last: entry address and RSP at entry.
    private readonly List<(ulong Address, ulong Rsp)> _watchFrames = [];

    // A frame is closed only by an RSP rise within this distance: a switch to another stack (an
    // IST or a new task stack far away) must not look like a return.
    private const ulong SameStackWindow = 64 * 1024;

    /// <summary>
    /// The watched entry points shared by the machine's CPUs, or null (the default) when nobody
    /// watches. Setting it drops this CPU's decoded blocks so block boundaries follow the new set.
    /// </summary>
    public SymbolWatch? Watch
    {
        get => _watch;
        set
        {
            _watch = value;
            _watchFrames.Clear();
            FlushDecodeCache();
        }
    }

    private SymbolWatch? _watch;

    /// <summary>The watched functions this CPU is inside, outermost first (entry address, RSP at entry).</summary>
    public IReadOnlyList<(ulong Address, ulong Rsp)> OpenFunctions => _watchFrames;

    // Called at each block fetch while a watch is set.
    private void TrackWatchedFunctions(DecodedBlock block, ulong linearIp)
    {
        ulong rsp = R[Reg.RSP];
        while (_watchFrames.Count > 0)
        {
            var (address, entryRsp) = _watchFrames[^1];
            if (rsp <= entryRsp || rsp - entryRsp > SameStackWindow) break;
            _watchFrames.RemoveAt(_watchFrames.Count - 1);
            Observer?.FunctionReturned(this, address);
        }
        if (!block.StartsWatchedFunction) return;
        // A loop that jumps back to a function's own entry with the same stack is not a new call.
        if (_watchFrames.Count > 0 && _watchFrames[^1] == (linearIp, rsp)) return;
        _watchFrames.Add((linearIp, rsp));
        Observer?.FunctionEntered(this, linearIp, rsp);
    }
}
