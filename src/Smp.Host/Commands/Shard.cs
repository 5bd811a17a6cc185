using System.CommandLine.Parsing;
using System.Globalization;

namespace Smp.Host.Commands;

/// <summary>Which part of a campaign this process runs, written <c>i/n</c> (shard i of n, counting from 1).</summary>
/// <param name="Index">The shard number, 1..Count.</param>
/// <param name="Count">The number of shards.</param>
internal sealed record Shard(int Index, int Count)
{
    /// <summary>Parses <c>i/n</c>, reporting a clear error on the option otherwise.</summary>
    /// <param name="result">The option's argument.</param>
    /// <returns>The shard, or null after an error.</returns>
    public static Shard? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1 && index >= 1 && index <= count)
        {
            return new Shard(index, count);
        }

        result.AddError($"--shard expects i/n with 1 <= i <= n (for example 2/8), not '{text}'");
        return null;
    }

    /// <summary>The value as written on the command line (<c>i/n</c>), which help shows as the default.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => FormattableString.Invariant($"{Index}/{Count}");
}
