using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// How the BIOS ROM hands a service call to the simulator. Each ROM interrupt entry is a stub
/// <c>push dx; mov dx, TrapPortBase + n; out dx, al; pop dx; iret</c>. The OUT to a trap port, made by code running
/// inside the BIOS area (CS base + IP in 0xE0000–0xFFFFF), stops the CPU after the OUT; the CPU actor captures
/// <see cref="BiosRegisters"/> (DX from the stub's push) and sends a <see cref="BiosCall"/> to the BIOS actor, which
/// performs the service and answers with a <see cref="BiosReturn"/>; the CPU then resumes with the POP and the IRET.
/// The guest sees an ordinary BIOS: INT n, its IVT, its ROM code.
/// <para>
/// The trap ports 0x4E0–0x4E8 are decoded by no PC chipset or device: not by the PIIX3/PIIX4 or ICH south bridges (whose
/// 0x400–0x4FF decodes stop at the ELCR, 0x4D0/0x4D1), not by ISA cards (their 10-bit decoders see 0x0E0–0x0E8, the
/// system board's range), and not by QEMU's devices (pc-testdev owns 0xE0–0xEB and 0x2000–0x2017, isa-debug-exit
/// 0xF4). An OUT to them from anywhere else (a kernel) is an ordinary access to an unclaimed port.
/// </para>
/// </summary>
public static class BiosTrap
{
    /// <summary>First trap port.</summary>
    public const ushort TrapPortBase = 0x4E0;

    /// <summary>Number of trap ports.</summary>
    public const int TrapPortCount = 9;

    /// <summary>The size of <see cref="EmitTrap"/>'s code: PUSH DX (1), MOV DX, imm16 (3), OUT DX, AL (1), POP DX (1).</summary>
    public const int TrapCodeSize = 6;

    /// <summary>Where the caller's DX sits while the CPU is stopped at a trap: SS:SP + this (the stub's PUSH DX).</summary>
    public const int SavedDxOffset = 0;

    /// <summary>Where the caller's FLAGS image sits while the CPU is stopped at a trap: above the saved DX, IP and CS.</summary>
    public const int FlagsOffset = 6;

    /// <summary>True when <paramref name="port"/> is a BIOS trap port.</summary>
    public static bool IsTrapPort(ushort port) => port >= TrapPortBase && port < TrapPortBase + TrapPortCount;

    /// <summary>True when the linear address of the code making a port access lies in the BIOS area 0xE0000–0xFFFFF.</summary>
    public static bool IsBiosCode(ulong linearIp) => linearIp >= MemoryMap.BiosBase && linearIp < MemoryMap.HighMemoryBase;

    /// <summary>
    /// Emits the trap for <paramref name="port"/>: <c>push dx; mov dx, port; out dx, al; pop dx</c>. The caller's frame
    /// (IP, CS, FLAGS of its INT) must sit at SS:SP when it runs.
    /// </summary>
    public static void EmitTrap(Assembler a, ushort port)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!IsTrapPort(port)) throw new ArgumentOutOfRangeException(nameof(port), $"Port 0x{port:X} is not a BIOS trap port.");
        a.push(dx);
        a.mov(dx, port);
        a.@out(dx, al);
        a.pop(dx);
    }
}

/// <summary>A CPU asks the BIOS for a service: the trap port it wrote (which names the service) and its registers.</summary>
/// <param name="Cpu">Index of the calling CPU.</param>
/// <param name="TrapPort">The trap port the ROM stub wrote.</param>
/// <param name="Registers">The caller's registers.</param>
public sealed record BiosCall(int Cpu, ushort TrapPort, BiosRegisters Registers);

/// <summary>The BIOS's answer: the registers to resume with.</summary>
/// <param name="Registers">Result registers (AX, CF in FLAGS, ...).</param>
public sealed record BiosReturn(BiosRegisters Registers);
