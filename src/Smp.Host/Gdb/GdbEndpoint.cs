using System.Globalization;
using System.Net;

namespace Smp.Host.Gdb;

/// <summary>
/// Where the gdb stub listens: <c>tcp:HOST:PORT</c> or <c>tcp::PORT</c> (QEMU's <c>-gdb</c> syntax). The host defaults to
/// 127.0.0.1 (QEMU's <c>tcp::PORT</c> means every interface; ours does not); an address other than a loopback one is
/// refused unless <c>--gdb-listen-any</c> is given, because whoever connects controls the machine. Port 0 picks a free
/// port, which the stub names on stderr.
/// </summary>
/// <param name="Address">The address to bind.</param>
/// <param name="Port">The TCP port (0: any free port).</param>
internal sealed record GdbEndpoint(IPAddress Address, int Port)
{
    /// <summary>QEMU's <c>-s</c> port.</summary>
    public const int DefaultPort = 1234;

    /// <summary>Parses an endpoint; null with <paramref name="error"/> set when the text is not one.</summary>
    /// <param name="text">The option's value.</param>
    /// <param name="listenAny">Whether a non-loopback address is allowed.</param>
    /// <param name="error">Why the text was refused.</param>
    /// <returns>The endpoint, or null.</returns>
    public static GdbEndpoint? Parse(string text, bool listenAny, out string? error)
    {
        error = null;
        const string shape = "--gdb expects tcp:HOST:PORT or tcp::PORT (for example tcp:127.0.0.1:1234)";
        if (!text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            error = $"{shape}, not '{text}'";
            return null;
        }

        string rest = text[4..];
        int colon = rest.LastIndexOf(':');
        if (colon < 0
            || !int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            error = $"{shape}, not '{text}' (PORT is 0..65535)";
            return null;
        }

        string host = rest[..colon].Trim('[', ']');
        IPAddress? address = host.Length == 0 || host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is null)
        {
            error = $"--gdb host '{host}' is not an IP address (use 127.0.0.1, ::1 or localhost)";
            return null;
        }

        if (!IPAddress.IsLoopback(address) && !listenAny)
        {
            error = $"--gdb {text} would let anyone who can reach {address} control the machine; give --gdb-listen-any to allow an address other than loopback";
            return null;
        }

        return new GdbEndpoint(address, port);
    }

    /// <summary>The endpoint as the option writes it.</summary>
    /// <returns>For example <c>tcp:127.0.0.1:1234</c>.</returns>
    public override string ToString() =>
        Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"tcp:[{Address}]:{Port}" : $"tcp:{Address}:{Port}";
}
