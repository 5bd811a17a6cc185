using System.CommandLine.Parsing;
using System.Globalization;

namespace Smp.Host.Commands;

/// <summary>An inclusive range of stress seeds, written <c>A..B</c> on the command line.</summary>
/// <param name="First">The first seed.</param>
/// <param name="Last">The last seed (inclusive).</param>
internal sealed record SeedRange(ulong First, ulong Last)
{
    /// <summary>Parses <c>A..B</c> (or a single seed <c>A</c>), reporting a clear error on the option otherwise.</summary>
    /// <param name="result">The option's argument.</param>
    /// <returns>The range, or null after an error.</returns>
    public static SeedRange? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        var parts = text.Split("..");
        if (parts.Length is 1 or 2
            && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            && (parts.Length == 1 || ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var last = parts.Length == 1 ? first : ulong.Parse(parts[1], CultureInfo.InvariantCulture);
            if (last >= first)
            {
                return new SeedRange(first, last);
            }
        }

        result.AddError($"--seeds expects A..B with whole numbers A <= B (for example 1..1000), not '{text}'");
        return null;
    }

    /// <summary>The value as written on the command line (<c>A..B</c>), which help shows as the default.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => FormattableString.Invariant($"{First}..{Last}");
}
