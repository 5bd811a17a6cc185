namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// How the BIOS ROM hands a service call to the simulator. Each ROM interrupt entry is a stub
/// <c>out TrapPortBase + n, al; iret</c>: the OUT to a trap port stops the CPU before the IRET;
/// the CPU actor captures <see cref="BiosRegisters"/> and sends a <see cref="BiosCall"/> to the
/// BIOS actor, which performs the service and answers with a <see cref="BiosReturn"/>; the CPU
/// then resumes with the IRET. The guest sees an ordinary BIOS: INT n, its IVT, its ROM code.
/// </summary>
public static class BiosTrap
{
    /// <summary>First trap port. Ports 0xE0–0xE8 are used (0xE9, the Bochs/QEMU debug console, is left alone).</summary>
    public const ushort TrapPortBase = 0xE0;

    /// <summary>Number of trap ports.</summary>
    public const int TrapPortCount = 9;

    /// <summary>True when <paramref name="port"/> is a BIOS trap port.</summary>
    public static bool IsTrapPort(ushort port) => port >= TrapPortBase && port < TrapPortBase + TrapPortCount;
}

/// <summary>A CPU asks the BIOS for a service: the trap port it wrote (which names the service) and its registers.</summary>
/// <param name="Cpu">Index of the calling CPU.</param>
/// <param name="TrapPort">The trap port the ROM stub wrote.</param>
/// <param name="Registers">The caller's registers.</param>
public sealed record BiosCall(int Cpu, ushort TrapPort, BiosRegisters Registers);

/// <summary>The BIOS's answer: the registers to resume with.</summary>
/// <param name="Registers">Result registers (AX, CF in FLAGS, ...).</param>
public sealed record BiosReturn(BiosRegisters Registers);
