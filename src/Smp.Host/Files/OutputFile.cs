using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Files;

/// <summary>
/// The one way <c>smp</c> writes an output file (traces, stress reports, disk images): checked before the work
/// starts (<see cref="Problem"/>), then written whole into a temporary file beside it and renamed over it
/// (<see cref="Write"/>), so a reader, a crash or a second process writing the same path sees either the old
/// file or one complete new one, never a mix. Device files and FIFOs (<c>/dev/stdout</c>, <c>/dev/null</c>,
/// a shell's <c>&gt;(gzip &gt; t.gz)</c>) are written in place.
/// </summary>
internal static class OutputFile
{
    /// <summary>
    /// Why <paramref name="path"/> cannot be written (the end of a sentence that starts with the path, such as
    /// <c>is in a directory that does not exist</c>), or null when it can. Creates nothing that stays.
    /// </summary>
    /// <param name="path">The path as the user gave it.</param>
    /// <returns>The problem, or null.</returns>
    public static string? Problem(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return "is not a valid path";
        }

        switch (FileKinds.Of(full, out _))
        {
            case FileKind.Directory:
                return "is a directory";
            case FileKind.BlockDevice:
                return "is a block device";
            case FileKind.Socket:
                return "is a socket";
            case FileKind.NoAccess:
                return "cannot be reached: permission denied on a directory of its path";
            case FileKind.CharacterDevice or FileKind.Fifo:
                return null; // opening a FIFO for writing would wait for a reader: it is written when the output is ready
        }

        var directory = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(directory) || FileKinds.Of(directory, out _) != FileKind.Directory)
        {
            return "is in a directory that does not exist";
        }

        try
        {
            if (File.Exists(full))
            {
                using (new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                {
                }
            }

            // The file is replaced by renaming a new one over it: the directory must take new files.
            var probe = TemporaryName(full);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "cannot be written: " + FileError.Reason(ex, full);
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/>: a regular (or new) file through a temporary
    /// file in the same directory renamed over it at the end; a device or FIFO in place. On failure the old file
    /// is untouched and no temporary file remains.
    /// </summary>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="write">Writes the whole contents to the stream it is given.</param>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var target = Path.GetFullPath(path);
        if (FileKinds.Of(target, out _) is not (FileKind.Regular or FileKind.Missing))
        {
            // Through the path as given: /dev/stdout names a pipe by a link no rename could follow.
            using var device = new FileStream(target, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            write(device);
            return;
        }

        // A symbolic link keeps pointing where it did: the new file replaces its final target.
        if (new FileInfo(target).LinkTarget is not null && File.ResolveLinkTarget(target, returnFinalTarget: true) is { } linked)
            target = linked.FullName;

        var temporary = TemporaryName(target);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>A hidden name beside <paramref name="full"/> that no other process picks.</summary>
    private static string TemporaryName(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
}
