using Smp.Devices.Memory;

namespace Smp.Devices.Platform.Firmware;

/// <summary>What <see cref="IKernelImage.Load"/> places a kernel with.</summary>
/// <param name="Memory">Guest physical memory.</param>
/// <param name="Map">The machine's memory map; its E820 list is the one the BIOS reports through INT 15h.</param>
/// <param name="Acpi">The ACPI tables (Multiboot2 copies the RSDP into its information).</param>
public sealed record KernelLoadContext(PhysicalMemory Memory, MemoryMap Map, AcpiTables Acpi);
