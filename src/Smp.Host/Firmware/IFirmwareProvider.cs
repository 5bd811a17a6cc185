using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Firmware;

/// <summary>The BIOS a command boots with: its ROM image and the services behind the ROM's trap stubs.</summary>
internal interface IFirmwareProvider
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>The ROM image (at most 128 KiB; it ends at 1 MiB and holds the reset vector in its last 16 bytes).</summary>
    byte[] Rom { get; }

    /// <summary>Creates the services for one run.</summary>
    /// <param name="context">Memory, E820 map, disk, console, platform.</param>
    /// <returns>The services.</returns>
    IBiosServices CreateServices(BiosServicesContext context);
}

/// <summary>
/// Where <c>smp run</c> (and later <c>smp boot</c>) get their firmware. <b>Integrator:</b> when the real BIOS
/// (branch <c>bios</c>: <c>BiosRom</c> and the <c>IBiosServices</c> implementation) is merged, replace the one line
/// below with a provider returning its ROM and services.
/// </summary>
internal static class FirmwareProviders
{
    /// <summary>The firmware in use.</summary>
    public static IFirmwareProvider Current { get; } = new SmpBiosFirmware();
}
