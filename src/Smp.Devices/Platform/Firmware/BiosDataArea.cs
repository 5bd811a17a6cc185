namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// Addresses and values in the BIOS data area (segment 0x40) and EBDA that this BIOS fills, after the IBM PC/AT
/// layout (Ralf Brown's Interrupt List, "BIOS data area" memory map).
/// </summary>
public static class BiosDataArea
{
    /// <summary>Physical address of the BIOS data area.</summary>
    public const ulong Base = 0x400;

    /// <summary>Word: I/O base of COM1 (COM2–COM4 follow at +2, +4, +6).</summary>
    public const ulong Com1Base = 0x400;

    /// <summary>Word: segment of the extended BIOS data area.</summary>
    public const ulong EbdaSegment = 0x40E;

    /// <summary>Word: the equipment list INT 11h returns.</summary>
    public const ulong EquipmentWord = 0x410;

    /// <summary>Word: base (conventional) memory in KiB, as INT 12h returns.</summary>
    public const ulong BaseMemoryKiB = 0x413;

    /// <summary>Byte: current video mode.</summary>
    public const ulong VideoMode = 0x449;

    /// <summary>Word: screen columns.</summary>
    public const ulong VideoColumns = 0x44A;

    /// <summary>Two bytes: cursor column and row of page 0.</summary>
    public const ulong CursorPosition = 0x450;

    /// <summary>Word: CRT controller base port (0x3D4 for colour).</summary>
    public const ulong CrtcBase = 0x463;

    /// <summary>Far pointer (offset, segment) used for the warm-reset jump when CMOS 0x0F = 0x0A.</summary>
    public const ulong ResetVector = 0x467;

    /// <summary>Dword: timer ticks since midnight (18.2 Hz).</summary>
    public const ulong TimerTicks = 0x46C;

    /// <summary>Byte: midnight-rollover flag.</summary>
    public const ulong TimerRollover = 0x470;

    /// <summary>Byte: status of the last INT 13h hard disk operation.</summary>
    public const ulong DiskStatus = 0x474;

    /// <summary>Byte: number of hard disks.</summary>
    public const ulong DiskCount = 0x475;

    /// <summary>Byte: screen rows minus one.</summary>
    public const ulong VideoRowsMinusOne = 0x484;

    /// <summary>The EBDA size in KiB, written as its first byte.</summary>
    public const int EbdaSizeKiB = 1;

    /// <summary>
    /// The equipment word: bit 1 math coprocessor, bits 5:4 = 10b initial video mode 80×25 colour,
    /// bits 11:9 = 1 serial port; no floppy drives (bit 0 clear), no printers.
    /// </summary>
    public const ushort Equipment = 0x0222;
}
