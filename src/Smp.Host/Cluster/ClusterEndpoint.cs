using System.CommandLine.Parsing;
using System.Globalization;

namespace Smp.Host.Cluster;

/// <summary>A cluster node's address, written <c>HOST:PORT</c> on the command line (<c>[v6]:PORT</c> for an IPv6 literal).</summary>
/// <param name="Host">A host name or IP address.</param>
/// <param name="Port">A TCP port, 0 for any free one (the coordinator then prints the one it got).</param>
internal sealed record ClusterEndpoint(string Host, int Port)
{
    /// <summary>Parses <c>HOST:PORT</c> for <paramref name="result"/>'s option, reporting a clear error otherwise.</summary>
    public static ClusterEndpoint? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        int colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535)
        {
            string host = text[..colon];
            if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
            if (host.Length > 0 && !host.Contains(' ')) return new ClusterEndpoint(host, port);
        }
        result.AddError($"{result.Parent switch { OptionResult o => o.Option.Name, _ => "the address" }} expects HOST:PORT with a port from 0 to 65535 (for example 10.0.0.5:4053), not '{text}'");
        return null;
    }

    /// <summary><c>HOST:PORT</c>.</summary>
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
