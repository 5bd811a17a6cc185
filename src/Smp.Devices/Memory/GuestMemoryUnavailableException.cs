namespace Smp.Devices.Memory;

/// <summary>
/// The host cannot provide the memory a machine needs (its guest RAM, the bookkeeping beside it, or a RAM
/// snapshot). The message is one sentence naming the size, fit to show a user as it is.
/// </summary>
public sealed class GuestMemoryUnavailableException : Exception
{
    /// <summary>Creates the exception for a refused reservation of <paramref name="requestedBytes"/>.</summary>
    /// <param name="requestedBytes">The size asked for.</param>
    /// <param name="purpose">What it was for, e.g. "guest RAM".</param>
    /// <param name="reason">Why the host refused, e.g. "mmap failed with errno 12".</param>
    public GuestMemoryUnavailableException(ulong requestedBytes, string purpose, string reason)
        : base($"Cannot reserve {Describe(requestedBytes)} of host memory for {purpose}: {reason}.")
    {
        RequestedBytes = requestedBytes;
    }

    /// <summary>The size that could not be had, in bytes.</summary>
    public ulong RequestedBytes { get; }

    /// <summary>A size in the largest binary unit that keeps it whole-ish ("64 GiB", "1.5 GiB", "640 KiB").</summary>
    internal static string Describe(ulong bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} bytes" : $"{value:0.##} {units[unit]}";
    }
}
