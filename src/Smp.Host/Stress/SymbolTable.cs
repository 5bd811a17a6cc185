namespace Smp.Host.Stress;

/// <summary>One guest text symbol: a function or code label occupying [Address, Address + Size).</summary>
/// <param name="Name">The symbol name.</param>
/// <param name="Address">Its first byte (linear address).</param>
/// <param name="Size">Its length in bytes (at least 1).</param>
public readonly record struct SymbolInfo(string Name, ulong Address, ulong Size);

/// <summary>Anything that can list guest text symbols (the guest kernel's image, a test, a loaded map).</summary>
public interface ISymbolSource
{
    /// <summary>The text symbols, in any order.</summary>
    IEnumerable<SymbolInfo> Symbols { get; }
}

/// <summary>
/// Guest text symbols sorted by address, answering "is this a text address" and formatting
/// addresses Linux-style as <c>symbol+0xoff/0xsize</c>.
/// </summary>
public sealed class SymbolTable : ISymbolSource
{
    private readonly SymbolInfo[] _symbols;
    private readonly ulong[] _starts;

    /// <summary>Builds a table from <paramref name="symbols"/> (overlaps resolve to the symbol starting last).</summary>
    public SymbolTable(IEnumerable<SymbolInfo> symbols)
    {
        _symbols = [.. symbols];
        Array.Sort(_symbols, (a, b) => a.Address.CompareTo(b.Address));
        _starts = new ulong[_symbols.Length];
        for (int i = 0; i < _symbols.Length; i++) _starts[i] = _symbols[i].Address;
    }

    /// <summary>Builds a table from a source.</summary>
    public SymbolTable(ISymbolSource source) : this(source.Symbols) { }

    /// <summary>Builds a table from the built-in kernel's symbols (<see cref="Guest.KernelImage.Symbols"/>).</summary>
    public static SymbolTable FromKernel(IEnumerable<Guest.KernelSymbol> symbols)
    {
        var list = new List<SymbolInfo>();
        foreach (var k in symbols) list.Add(new SymbolInfo(k.Name, k.Address, k.Size));
        return new SymbolTable(list);
    }

    /// <inheritdoc />
    public IEnumerable<SymbolInfo> Symbols => _symbols;

    /// <summary>The symbol containing <paramref name="address"/>, if any.</summary>
    public bool TryLookup(ulong address, out SymbolInfo symbol)
    {
        int i = Array.BinarySearch(_starts, address);
        if (i < 0) i = ~i - 1;
        if (i >= 0 && address - _symbols[i].Address < Math.Max(_symbols[i].Size, 1))
        {
            symbol = _symbols[i];
            return true;
        }
        symbol = default;
        return false;
    }

    /// <summary>True when <paramref name="address"/> lies inside a text symbol.</summary>
    public bool IsText(ulong address) => TryLookup(address, out _);

    /// <summary><c>name+0xoff/0xsize</c> for a text address, else the address in hex.</summary>
    public string Format(ulong address) =>
        TryLookup(address, out var s) ? $"{s.Name}+0x{address - s.Address:x}/0x{s.Size:x}" : $"0x{address:x16}";
}
