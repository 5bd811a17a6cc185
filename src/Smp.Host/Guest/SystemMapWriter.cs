using System.Globalization;
using System.Text;

namespace Smp.Host.Guest;

/// <summary>Writes symbols as a Linux System.map: address (16 hex digits), type, name; sorted by address.</summary>
public static class SystemMapWriter
{
    /// <summary>Formats the symbols.</summary>
    /// <param name="symbols">Functions (all written with type <c>T</c>).</param>
    /// <returns>The text.</returns>
    public static string Write(IEnumerable<KernelSymbol> symbols)
    {
        var text = new StringBuilder();
        foreach (var symbol in symbols.OrderBy(s => s.Address))
        {
            text.Append(symbol.Address.ToString("x16", CultureInfo.InvariantCulture))
                .Append(" T ")
                .Append(symbol.Name)
                .Append('\n');
        }

        return text.ToString();
    }
}
