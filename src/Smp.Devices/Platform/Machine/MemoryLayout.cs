using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

/// <summary>Builds a PC's physical address space: RAM, the VGA window, the BIOS ROM and its 4 GiB alias, the I/O APIC, the firmware tables.</summary>
public static class MemoryLayout
{
    /// <summary>The largest BIOS ROM image (0xE0000–0xFFFFF).</summary>
    public const int MaxRomSize = 0x20000;

    /// <summary>
    /// Creates the address space for <paramref name="platform"/>: RAM where the map puts it (below the PCI hole and from
    /// 4 GiB up; host memory is committed only as the guest writes it), the VGA window at
    /// 0xA0000, the ROM (padded at the front to 128 KiB with 0xFF) at 0xE0000 and at 4 GiB − 128 KiB with the ACPI RSDP
    /// and MP structures copied in, the ACPI tables in RAM, and the platform's MMIO devices, the I/O APIC and the HPET
    /// (accesses under <paramref name="deviceLock"/>).
    /// </summary>
    /// <param name="platform">The devices and maps.</param>
    /// <param name="romImage">The BIOS ROM, at most <see cref="MaxRomSize"/> bytes; it ends at 1 MiB.</param>
    /// <param name="deviceLock">The lock that serialises device access.</param>
    /// <returns>The address space (dispose it with the machine).</returns>
    public static PhysicalMemory Build(PcPlatform platform, byte[] romImage, Lock deviceLock)
    {
        ArgumentNullException.ThrowIfNull(romImage);
        if (romImage.Length == 0 || romImage.Length > MaxRomSize)
            throw new ArgumentException($"The BIOS ROM must be 1 to {MaxRomSize} bytes, not {romImage.Length}.", nameof(romImage));
        var memory = new PhysicalMemory(platform.Map.RamBelow4G, platform.Map.RamAbove4G);
        memory.MapMmio(VgaWindow.Base, VgaWindow.Size, new VgaWindow());
        foreach (var (address, size, device) in platform.MmioDevices) memory.MapMmio(address, size, new LockedMmio(device, deviceLock));

        var rom = new byte[MaxRomSize];
        Array.Fill(rom, (byte)0xFF);
        romImage.CopyTo(rom, MaxRomSize - romImage.Length);
        const ulong romBase = MemoryMap.HighMemoryBase - MaxRomSize;
        foreach (var blob in new[] { platform.Acpi.Rsdp, platform.Acpi.Tables, platform.Mp.FloatingPointer, platform.Mp.ConfigurationTable })
        {
            if (!blob.CopyInto(rom, romBase)) blob.WriteTo(memory);
        }

        memory.MapRom(romBase, rom);
        memory.MapRom(MemoryMap.FourGiB - MaxRomSize, rom);
        return memory;
    }
}
