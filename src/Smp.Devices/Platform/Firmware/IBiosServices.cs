namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// The BIOS's service routines as the simulator runs them: given the trap port a ROM stub wrote
/// and the caller's registers, perform the service (reading the disk, filling an E820 entry,
/// printing a character ...) against guest memory and return the result registers in place.
/// The BIOS actor calls it for each <see cref="BiosCall"/>.
/// </summary>
public interface IBiosServices
{
    /// <summary>Performs the service named by <paramref name="trapPort"/> for CPU <paramref name="cpu"/>.</summary>
    void Handle(int cpu, ushort trapPort, ref BiosRegisters registers);
}
