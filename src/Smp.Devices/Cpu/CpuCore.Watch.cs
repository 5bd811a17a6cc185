using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu;

// Function entry/return reporting for watched symbols. The decoder ends a block before a watched
// address, so entry is seen once per block fetch (a flag on the block, no lookup per execution).
// How control arrived (the previous block's last instruction, or an event delivery) tells a call
// from a jump: a called function ends when a RET pops its frame (RSP rises above its entry RSP on
// the same stack), an event handler when IRET returns from it, and a function reached by a jump
// (which never returns, like startup_64) when the next jump-reached watched function starts.
public sealed partial class CpuCore
{
    private readonly List<WatchFrame> _watchFrames = [];
    private Transfer _lastTransfer;

    // A RET closes only frames on the stack it returns on: an IST or another task stack far away is not a return.
    private const ulong SameStackWindow = 64 * 1024;

    private readonly record struct WatchFrame(ulong Address, ulong Rsp, Transfer EnteredBy);

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
    public IReadOnlyList<(ulong Address, ulong Rsp)> OpenFunctions => _watchFrames.ConvertAll(f => (f.Address, f.Rsp));

    // Called at each block fetch while a watch is set.
    private void TrackWatchedFunctions(DecodedBlock block, ulong linearIp)
    {
        ulong rsp = R[Reg.RSP];
        var arrivedBy = _lastTransfer;
        _lastTransfer = Transfer.None;
        if (arrivedBy == Transfer.Return)
        {
            while (_watchFrames.Count > 0 && _watchFrames[^1] is var top && top.EnteredBy != Transfer.Event
                   && rsp > top.Rsp && rsp - top.Rsp <= SameStackWindow)
                CloseInnermost();
        }
        else if (arrivedBy == Transfer.InterruptReturn)
        {
            int handler = _watchFrames.FindLastIndex(f => f.EnteredBy == Transfer.Event);
            while (handler >= 0 && _watchFrames.Count > handler) CloseInnermost();
        }

        if (!block.StartsWatchedFunction) return;
        // A loop that jumps back to a function's own entry with the same stack is not a new call.
        if (_watchFrames.Count > 0 && _watchFrames[^1].Address == linearIp && _watchFrames[^1].Rsp == rsp) return;
        var enteredBy = arrivedBy is Transfer.Call or Transfer.Event ? arrivedBy : Transfer.None;
        // A jump from one never-returning function into the next is a tail transfer: the first one is over.
        if (enteredBy == Transfer.None && _watchFrames.Count > 0 && _watchFrames[^1].EnteredBy == Transfer.None) CloseInnermost();
        _watchFrames.Add(new WatchFrame(linearIp, rsp, enteredBy));
        Observer?.FunctionEntered(this, linearIp, rsp);
    }

    private void CloseInnermost()
    {
        var frame = _watchFrames[^1];
        _watchFrames.RemoveAt(_watchFrames.Count - 1);
        Observer?.FunctionReturned(this, frame.Address);
    }

    private static Transfer TransferOf(in Instruction instr) => instr.FlowControl switch
    {
        FlowControl.Call or FlowControl.IndirectCall => Transfer.Call,
        FlowControl.Return => instr.Mnemonic is Mnemonic.Iret or Mnemonic.Iretd or Mnemonic.Iretq ? Transfer.InterruptReturn : Transfer.Return,
        FlowControl.Interrupt => Transfer.Event,
        _ => Transfer.None,
    };
}
