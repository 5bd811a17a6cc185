using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

/// <summary>
/// The ISA I/O port space: devices claim port ranges and accesses are dispatched by their first port.
/// Unclaimed ports read as all ones (the data lines float high) and every such access is counted and kept
/// in <see cref="UnclaimedAccesses"/> (up to <see cref="UnclaimedHistoryLimit"/> entries) instead of vanishing.
/// </summary>
public sealed class PortBus : IPortBus
{
    /// <summary>How many unclaimed accesses are remembered in <see cref="UnclaimedAccesses"/>; later ones are only counted.</summary>
    public const int UnclaimedHistoryLimit = 4096;

    private readonly IPortDevice?[] _devices = new IPortDevice?[0x10000];
    private readonly List<UnclaimedPortAccess> _unclaimed = [];

    /// <summary>The first <see cref="UnclaimedHistoryLimit"/> accesses to ports no device claimed, in order.</summary>
    public IReadOnlyList<UnclaimedPortAccess> UnclaimedAccesses => _unclaimed;

    /// <summary>Total number of accesses to unclaimed ports, including those beyond the history limit.</summary>
    public long UnclaimedCount { get; private set; }

    /// <summary>Raised on every access to an unclaimed port.</summary>
    public event Action<UnclaimedPortAccess>? Unclaimed;

    /// <summary>Claims ports <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 for <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or runs past port 0xFFFF.</exception>
    /// <exception cref="InvalidOperationException">A port in the range is already claimed by another device.</exception>
    public void Register(ushort first, ushort count, IPortDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (count == 0 || first + count > 0x10000)
            throw new ArgumentOutOfRangeException(nameof(count), $"Port range 0x{first:X4}+{count} is empty or runs past 0xFFFF.");
        for (int p = first; p < first + count; p++)
            if (_devices[p] is { } other && !ReferenceEquals(other, device))
                throw new InvalidOperationException($"Port 0x{p:X4} is already claimed by {other.GetType().Name}.");
        for (int p = first; p < first + count; p++) _devices[p] = device;
    }

    /// <summary>The device that claimed <paramref name="port"/>, or null.</summary>
    public IPortDevice? DeviceAt(ushort port) => _devices[port];

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        if (_devices[port] is { } device) return device.In(port, size) & SizeMask(size);
        uint ones = SizeMask(size);
        Record(new UnclaimedPortAccess(port, size, false, ones));
        return ones;
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        if (_devices[port] is { } device) { device.Out(port, size, value & SizeMask(size)); return; }
        Record(new UnclaimedPortAccess(port, size, true, value & SizeMask(size)));
    }

    private static uint SizeMask(int size) => size >= 4 ? uint.MaxValue : (1u << (size * 8)) - 1;

    private void Record(UnclaimedPortAccess access)
    {
        UnclaimedCount++;
        if (_unclaimed.Count < UnclaimedHistoryLimit) _unclaimed.Add(access);
        Unclaimed?.Invoke(access);
    }
}
