namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// Which trap port names which service (the ROM stub for each writes AL to its port from ROM code, see <see cref="BiosTrap"/>):
/// <list type="table">
/// <item><term>0x4E0</term><description>POST: the BIOS writes the data area, EBDA and firmware tables into RAM (no INT vector).</description></item>
/// <item><term>0x4E1</term><description>INT 10h video (teletype to the console).</description></item>
/// <item><term>0x4E2</term><description>INT 11h equipment list.</description></item>
/// <item><term>0x4E3</term><description>INT 12h base memory size.</description></item>
/// <item><term>0x4E4</term><description>INT 13h disk.</description></item>
/// <item><term>0x4E5</term><description>INT 15h system services (E820, E801, 88h, A20).</description></item>
/// <item><term>0x4E6</term><description>INT 16h keyboard.</description></item>
/// <item><term>0x4E7</term><description>INT 1Ah time of day and RTC.</description></item>
/// <item><term>0x4E8</term><description>Kernel boot: the hooked INT 19h of a <c>--kernel</c> run places the kernel in RAM and returns its entry state.</description></item>
/// </list>
/// INT 19h (bootstrap) is ROM code that calls INT 13h, so it needs no port of its own.
/// </summary>
public static class BiosTrapPorts
{
    /// <summary>POST's table-writing step.</summary>
    public const ushort Post = BiosTrap.TrapPortBase + 0;

    /// <summary>INT 10h.</summary>
    public const ushort Video = BiosTrap.TrapPortBase + 1;

    /// <summary>INT 11h.</summary>
    public const ushort Equipment = BiosTrap.TrapPortBase + 2;

    /// <summary>INT 12h.</summary>
    public const ushort MemorySize = BiosTrap.TrapPortBase + 3;

    /// <summary>INT 13h.</summary>
    public const ushort Disk = BiosTrap.TrapPortBase + 4;

    /// <summary>INT 15h.</summary>
    public const ushort System = BiosTrap.TrapPortBase + 5;

    /// <summary>INT 16h.</summary>
    public const ushort Keyboard = BiosTrap.TrapPortBase + 6;

    /// <summary>INT 1Ah.</summary>
    public const ushort Time = BiosTrap.TrapPortBase + 7;

    /// <summary>The kernel-boot step of the hooked INT 19h (no INT vector of its own; see <see cref="IKernelImage"/>).</summary>
    public const ushort KernelBoot = BiosTrap.TrapPortBase + 8;

    /// <summary>The interrupt vectors whose ROM entries are trap stubs, paired with their ports.</summary>
    public static IReadOnlyList<(byte Vector, ushort Port)> InterruptServices { get; } =
    [
        (0x10, Video), (0x11, Equipment), (0x12, MemorySize), (0x13, Disk), (0x15, System), (0x16, Keyboard), (0x1A, Time),
    ];
}
