namespace Smp.Devices.Platform;

/// <summary>
/// The machine's physical address map and the E820 map derived from its RAM size, laid out as QEMU's i440fx
/// machine with SeaBIOS does: 639 KiB conventional RAM, 1 KiB EBDA, the VGA window and option ROM space,
/// BIOS at 0xE0000–0xFFFFF, RAM from 1 MiB up to the PCI hole (whose top <see cref="AcpiAreaSize"/> bytes hold
/// the ACPI tables), the I/O APIC, local APIC and high BIOS alias windows, and RAM beyond the hole above 4 GiB.
/// </summary>
public sealed class MemoryMap
{
    /// <summary>Start of the extended BIOS data area (the last KiB of conventional memory).</summary>
    public const ulong EbdaBase = 0x9FC00;

    /// <summary>Start of the VGA window.</summary>
    public const ulong VgaBase = 0xA0000;

    /// <summary>Start of the option ROM space.</summary>
    public const ulong OptionRomBase = 0xC0000;

    /// <summary>Start of the BIOS area (the 128 KiB below 1 MiB).</summary>
    public const ulong BiosBase = 0xE0000;

    /// <summary>1 MiB, where extended memory starts.</summary>
    public const ulong HighMemoryBase = 0x100000;

    /// <summary>With this much RAM or more, low RAM stops at <see cref="LargePciHoleStart"/> (QEMU i440fx's rule).</summary>
    public const ulong PciHoleThreshold = 0xE0000000;

    /// <summary>Where low RAM ends and the PCI hole starts on machines with at least <see cref="PciHoleThreshold"/> of RAM.</summary>
    public const ulong LargePciHoleStart = 0xC0000000;

    /// <summary>The I/O APIC's MMIO window.</summary>
    public const ulong IoApicBase = 0xFEC00000;

    /// <summary>The local APIC's MMIO window.</summary>
    public const ulong LocalApicBase = 0xFEE00000;

    /// <summary>The top-of-4-GiB alias of the BIOS ROM (the reset vector at 0xFFFFFFF0 lives here).</summary>
    public const ulong BiosAliasBase = 0xFFFC0000;

    /// <summary>4 GiB, where RAM above the PCI hole is remapped.</summary>
    public const ulong FourGiB = 0x1_0000_0000;

    /// <summary>The bytes at the top of low RAM reserved for ACPI tables (E820 type 3).</summary>
    public const ulong AcpiAreaSize = 0x10000;

    private const ulong MinimumRam = 2 * 1024 * 1024;

    /// <summary>Builds the maps for <paramref name="ramBytes"/> of RAM (at least 2 MiB, a multiple of 4 KiB).</summary>
    public MemoryMap(ulong ramBytes)
    {
        if (ramBytes < MinimumRam || ramBytes % 4096 != 0)
            throw new ArgumentOutOfRangeException(nameof(ramBytes), $"RAM must be at least 2 MiB and a multiple of 4 KiB, not {ramBytes} bytes.");
        RamSize = ramBytes;
        RamBelow4G = ramBytes >= PciHoleThreshold ? LargePciHoleStart : ramBytes;
        RamAbove4G = ramBytes - RamBelow4G;
        AcpiBase = RamBelow4G - AcpiAreaSize;

        var e820 = new List<E820Entry>
        {
            new(0, EbdaBase, E820Type.Ram),
            new(EbdaBase, VgaBase - EbdaBase, E820Type.Reserved),
            new(BiosBase, HighMemoryBase - BiosBase, E820Type.Reserved),
            new(HighMemoryBase, AcpiBase - HighMemoryBase, E820Type.Ram),
            new(AcpiBase, AcpiAreaSize, E820Type.Acpi),
            new(IoApicBase, 0x1000, E820Type.Reserved),
            new(LocalApicBase, 0x1000, E820Type.Reserved),
            new(BiosAliasBase, FourGiB - BiosAliasBase, E820Type.Reserved),
        };
        if (RamAbove4G > 0) e820.Add(new(FourGiB, RamAbove4G, E820Type.Ram));
        E820 = e820;

        var regions = new List<PhysicalRegion>
        {
            new(0, EbdaBase, "conventional RAM"),
            new(EbdaBase, VgaBase - EbdaBase, "EBDA"),
            new(VgaBase, OptionRomBase - VgaBase, "VGA window"),
            new(OptionRomBase, BiosBase - OptionRomBase, "option ROMs"),
            new(BiosBase, HighMemoryBase - BiosBase, "BIOS"),
            new(HighMemoryBase, AcpiBase - HighMemoryBase, "extended RAM"),
            new(AcpiBase, AcpiAreaSize, "ACPI tables"),
            new(RamBelow4G, IoApicBase - RamBelow4G, "PCI hole"),
            new(IoApicBase, 0x1000, "I/O APIC"),
            new(LocalApicBase, 0x1000, "local APIC"),
            new(BiosAliasBase, FourGiB - BiosAliasBase, "BIOS alias"),
        };
        if (RamAbove4G > 0) regions.Add(new(FourGiB, RamAbove4G, "RAM above 4 GiB"));
        Regions = regions;
    }

    /// <summary>Total RAM in bytes.</summary>
    public ulong RamSize { get; }

    /// <summary>RAM mapped below the PCI hole (from address 0).</summary>
    public ulong RamBelow4G { get; }

    /// <summary>RAM remapped at 4 GiB and up.</summary>
    public ulong RamAbove4G { get; }

    /// <summary>Where low RAM ends and the PCI hole begins.</summary>
    public ulong PciHoleStart => RamBelow4G;

    /// <summary>Start of the ACPI table area at the top of low RAM.</summary>
    public ulong AcpiBase { get; }

    /// <summary>The E820 map, sorted by address, entries disjoint.</summary>
    public IReadOnlyList<E820Entry> E820 { get; }

    /// <summary>The physical address map, sorted by address, regions disjoint.</summary>
    public IReadOnlyList<PhysicalRegion> Regions { get; }

    /// <summary>The E820 map as consecutive 20-byte entries (for INT 15h E820 or boot_params.e820_table).</summary>
    public byte[] E820Bytes()
    {
        byte[] bytes = new byte[E820.Count * E820Entry.Size];
        for (int i = 0; i < E820.Count; i++) E820[i].WriteTo(bytes.AsSpan(i * E820Entry.Size));
        return bytes;
    }
}
