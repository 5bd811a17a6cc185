namespace Smp.Host.Guest;

/// <summary>A range of guest addresses [<paramref name="Start"/>, <paramref name="End"/>).</summary>
/// <param name="Start">First byte.</param>
/// <param name="End">One past the last byte (for a stack: its top, the initial RSP).</param>
public readonly record struct AddressRange(ulong Start, ulong End)
{
    /// <summary>Whether <paramref name="address"/> lies in the range.</summary>
    /// <param name="address">A guest address.</param>
    /// <returns>True when <c>Start &lt;= address &lt; End</c>.</returns>
    public bool Contains(ulong address) => address >= Start && address < End;

    /// <inheritdoc/>
    public override string ToString() => $"[0x{Start:x}, 0x{End:x})";
}
