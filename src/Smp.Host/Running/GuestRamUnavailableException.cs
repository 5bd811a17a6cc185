namespace Smp.Host.Running;

/// <summary>
/// The host cannot give the guest the RAM <c>--memory</c> asked for. Commands report it as one sentence naming
/// the size and exit with <see cref="ExitCodes.Usage"/> (see <see cref="Commands.CliContext.Guard"/>).
/// </summary>
internal sealed class GuestRamUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="memoryMiB">The guest RAM asked for, in MiB.</param>
    /// <param name="inner">The allocation failure.</param>
    public GuestRamUnavailableException(int memoryMiB, Exception inner)
        : base($"cannot allocate {memoryMiB} MiB of guest RAM on this host", inner) => MemoryMiB = memoryMiB;

    /// <summary>The guest RAM asked for, in MiB.</summary>
    public int MemoryMiB { get; }
}
