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

    /// <summary>The I/O size kvm-unit-tests' runner gives it (<c>iosize=0x4</c>): ports 0xF4–0xF7.</summary>
    public const ushort KvmUnitTestsSize = 4;

    /// <summary>Creates the device at <paramref name="port"/>, answering <paramref name="size"/> consecutive ports.</summary>
    public DebugExit(ushort port = DefaultPort, ushort size = 1)
    {
        ArgumentOutOfRangeException.ThrowIfZero(size);
        Port = port;
        Size = size;
    }

    /// <summary>The first port the device answers.</summary>
    public ushort Port { get; }

    /// <summary>How many ports it answers (QEMU's iosize); a write to any of them exits.</summary>
    public ushort Size { get; }

    /// <summary>The exit code of the first exit request, or null while none has been made.</summary>
    public int? RequestedExitCode { get; private set; }

    /// <summary>Raised on every write with the process exit code (v &lt;&lt; 1) | 1 the run should end with.</summary>
    public event Action<int>? ExitRequested;

    /// <summary>Claims <see cref="Port"/> … <see cref="Port"/> + <see cref="Size"/> − 1 on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(Port, Size, this);

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
