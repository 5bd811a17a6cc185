namespace Smp.Devices.Cpu;

/// <summary>
/// An exception raised by guest code (a fault or trap of the guest, not a simulator failure). One
/// instance per CPU is thrown and caught inside <see cref="CpuCore.Run"/>; it never escapes the core.
/// </summary>
public sealed class CpuFault : Exception
{
    /// <summary>The exception vector.</summary>
    public int Vector { get; internal set; }

    /// <summary>The error code (meaningful when <see cref="HasErrorCode"/>).</summary>
    public uint ErrorCode { get; internal set; }

    /// <summary>Whether delivery pushes <see cref="ErrorCode"/>.</summary>
    public bool HasErrorCode { get; internal set; }

    /// <inheritdoc />
    public override string Message => HasErrorCode ? $"{Cpu.Vector.Name(Vector)} error code 0x{ErrorCode:X}" : Cpu.Vector.Name(Vector);
}
