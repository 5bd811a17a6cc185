namespace Smp.Devices.Platform.Firmware;

/// <summary>A disk image cannot be used: missing, unreadable, too short or not bootable. The message is one sentence for the user.</summary>
public sealed class DiskImageException : Exception
{
    /// <summary>Creates the exception with a one-sentence <paramref name="message"/>.</summary>
    public DiskImageException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-sentence <paramref name="message"/> and the I/O error behind it.</summary>
    public DiskImageException(string message, Exception inner) : base(message, inner) { }
}
