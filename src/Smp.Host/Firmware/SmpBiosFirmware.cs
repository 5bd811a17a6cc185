using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Firmware;

/// <summary>
/// Smp's BIOS: the real-mode ROM built by <see cref="BiosRom"/> (POST, IVT, trap stubs, INT 19h) and
/// <see cref="BiosServices"/> behind its trap ports. The machine copies the ACPI and MP tables into
/// the ROM image it maps, so the ROM is built here without them.
/// </summary>
internal sealed class SmpBiosFirmware : IFirmwareProvider
{
    /// <inheritdoc />
    public string Name => "Smp BIOS";

    /// <inheritdoc />
    public byte[] Rom { get; } = BiosRom.Build([]);

    /// <inheritdoc />
    /// <remarks>The A20 gate stays enabled (as after SeaBIOS's POST); INT 15h 2400h only changes what the BIOS reports.</remarks>
    public IBiosServices CreateServices(BiosServicesContext context)
    {
        var disk = context.Disk.Length > 0 ? new DiskImage(context.Disk.Span, "disk") : null;
        return BiosServices.ForPlatform(context.Platform, context.Memory, disk, context.Console, kernel: context.Kernel);
    }
}
