namespace Smp.Devices.Cpu.Debugger;

/// <summary>One debugger watchpoint: a range of linear addresses and what to watch for.</summary>
/// <param name="Address">The first watched linear address.</param>
/// <param name="Length">How many bytes are watched (at least 1).</param>
/// <param name="Kind">Writes, reads or both.</param>
public readonly record struct Watchpoint(ulong Address, ulong Length, WatchKind Kind)
{
    /// <summary>Whether an access of <paramref name="size"/> bytes at <paramref name="address"/> triggers this watchpoint.</summary>
    /// <param name="address">The accessed linear address.</param>
    /// <param name="size">The access size in bytes.</param>
    /// <param name="write">A write (else a read).</param>
    /// <returns>True when the access overlaps the range and is of a watched kind.</returns>
    public bool Triggers(ulong address, int size, bool write) =>
        (Kind == WatchKind.Access || (Kind == WatchKind.Write) == write)
        && address < Address + Length && Address < address + (ulong)size;
}
