namespace Smp.Host.Guest;

/// <summary>One function of the built-in kernel: its Linux name, its run-time address and its size in bytes.</summary>
/// <param name="Name">The Linux name (for example <c>start_kernel</c>); the real-mode trampoline reuses
/// <c>startup_32</c> and <c>startup_64</c> as Linux's trampoline_64.S does, so names are not unique.</param>
/// <param name="Address">The physical (identity-mapped) address where the code runs.</param>
/// <param name="Size">The size in bytes, up to the next symbol or the chunk's data.</param>
public sealed record KernelSymbol(string Name, ulong Address, ulong Size)
{
    /// <summary>Whether <paramref name="address"/> lies inside this function.</summary>
    /// <param name="address">A code address.</param>
    /// <returns>True when <c>Address &lt;= address &lt; Address + Size</c>.</returns>
    public bool Contains(ulong address) => address >= Address && address - Address < Size;
}
