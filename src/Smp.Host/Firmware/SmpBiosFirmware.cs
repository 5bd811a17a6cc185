using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Firmware;

/// <summary>
/// The firmware every command boots with, Smp's BIOS: the real-mode ROM built by <see cref="BiosRom"/> (POST,
/// IVT, trap stubs, INT 19h) and <see cref="BiosServices"/> behind its trap ports. The machine copies the ACPI
/// and MP tables into the ROM image it maps, so the ROM is built here without them.
/// </summary>
internal static class SmpBiosFirmware
{
    /// <summary>The ROM image (built once; the machine copies it).</summary>
    public static byte[] Rom { get; } = BiosRom.Build([]);

    /// <summary>Creates the services for one run.</summary>
    /// <param name="context">Memory, E820 map, disk, console, platform.</param>
    /// <returns>The services.</returns>
    /// <remarks>The A20 gate stays enabled (as after SeaBIOS's POST); INT 15h 2400h only changes what the BIOS reports.</remarks>
    public static IBiosServices CreateServices(BiosServicesContext context)
    {
        var disk = context.Disk is { } source ? new DiskImage(source) : null;
        return BiosServices.ForPlatform(context.Platform, context.Memory, disk, context.Screen, kernel: context.Kernel);
    }
}
