namespace Smp.Devices.Platform;

/// <summary>E820 address range types, numbered as Linux and the ACPI spec number them (fact E).</summary>
public enum E820Type : uint
{
    /// <summary>Usable RAM.</summary>
    Ram = 1,
    /// <summary>Reserved: firmware, MMIO, ROM.</summary>
    Reserved = 2,
    /// <summary>ACPI reclaimable: the ACPI tables; RAM once the OS has read them.</summary>
    Acpi = 3,
    /// <summary>ACPI non-volatile storage.</summary>
    Nvs = 4,
    /// <summary>Unusable (errors detected).</summary>
    Unusable = 5,
}
