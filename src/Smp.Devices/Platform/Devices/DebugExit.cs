namespace Smp.Devices.Platform;

/// <summary>
/// QEMU's isa-debug-exit device (default iobase 0xF4). Writing v asks the simulator to end the run with
/// process exit code (v &lt;&lt; 1) | 1, so a guest can never produce exit code 0 by itself — QEMU's
/// semantics, which test harnesses rely on. Reads return 0, as QEMU's device does.
/// </summary>
public sealed class DebugExit : IPortDevice
{
    /// <summary>The default port, as in QEMU's <c>-device isa-debug-exit,iobase=0xf4</c>.</summary>
    public const ushort DefaultPort = 0xF4;

    /// <summary>Creates the device at <paramref name="port"/>.</summary>
    public DebugExit(ushort port = DefaultPort) => Port = port;

    /// <summary>The port the device answers.</summary>
    public ushort Port { get; }

    /// <summary>The exit code of the first exit request, or null while none has been made.</summary>
    public int? RequestedExitCode { get; private set; }

    /// <summary>Raised on every write with the process exit code (v &lt;&lt; 1) | 1 the run should end with.</summary>
    public event Action<int>? ExitRequested;

    /// <summary>Claims <see cref="Port"/> on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(Port, 1, this);

    /// <summary>The process exit code QEMU produces for a write of <paramref name="value"/>: (value &lt;&lt; 1) | 1.</summary>
    public static int ExitCodeFor(uint value) => unchecked((int)((value << 1) | 1));

    /// <inheritdoc />
    public uint In(ushort port, int size) => 0;

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        int code = ExitCodeFor(value);
        RequestedExitCode ??= code;
        ExitRequested?.Invoke(code);
    }
}
