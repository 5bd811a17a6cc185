using System.Globalization;
using System.Text;
using Smp.Devices.Platform.Firmware;

namespace Smp.Host.Files;

/// <summary>
/// The one check for every option that names an input file (<c>--disk</c>, <c>--symbols</c>, <c>--merge</c>, and
/// loaders' <c>--kernel</c>/<c>--initrd</c>): the path must be an existing regular file no larger than the
/// option's limit. Directories, devices, FIFOs and sockets are refused from their type alone, before anything
/// opens them, so <c>/dev/zero</c> is never read and a FIFO never blocks; a file is then read for exactly its
/// length. Every refusal is one sentence: <c>smp run: --disk '/dev/zero' is a character device, not a file.</c>
/// </summary>
internal static class InputFile
{
    /// <summary>
    /// Why <paramref name="path"/> cannot be an input of at most <paramref name="maxBytes"/> bytes (the end of a
    /// sentence that starts with the path, such as <c>is a directory, not a file</c>), or null when it can.
    /// </summary>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="option">The option, named in the size limit's wording.</param>
    /// <param name="maxBytes">The largest accepted file.</param>
    /// <param name="length">The file's length when it is acceptable.</param>
    /// <returns>The problem, or null.</returns>
    public static string? Problem(string path, string option, long maxBytes, out long length)
    {
        var kind = FileKinds.Of(path, out length);
        return kind == FileKind.Regular && length > maxBytes ? $"is {Size(length)}, more than the {Size(maxBytes)} {option} accepts" : FileKinds.Refusal(kind);
    }

    /// <summary>
    /// Checks <paramref name="path"/> and reads it whole; after a problem, writes one sentence
    /// (<c>{command}: {option} '{path}' {problem}.</c>) on <paramref name="err"/> and returns null.
    /// </summary>
    /// <param name="err">Standard error.</param>
    /// <param name="command">The command for the message, such as <c>smp run</c>.</param>
    /// <param name="option">The option that named the file, such as <c>--symbols</c>.</param>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="maxBytes">The largest accepted file.</param>
    /// <returns>The contents, or null after a message.</returns>
    public static byte[]? ReadAllBytes(TextWriter err, string command, string option, string path, long maxBytes)
    {
        if (Problem(path, option, maxBytes, out var length) is { } problem)
        {
            err.WriteLine($"{command}: {option} '{path}' {problem}.");
            return null;
        }

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (n == 0) break; // the file shrank since it was measured: keep what is there
                read += n;
            }

            return read == bytes.Length ? bytes : bytes[..read];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            err.WriteLine($"{command}: {option} '{path}' cannot be read: {FileError.Reason(ex, path)}.");
            return null;
        }
    }

    /// <summary>As <see cref="ReadAllBytes"/>, decoded as UTF-8 text.</summary>
    /// <param name="err">Standard error.</param>
    /// <param name="command">The command for the message.</param>
    /// <param name="option">The option that named the file.</param>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="maxBytes">The largest accepted file.</param>
    /// <returns>The text, or null after a message.</returns>
    public static string? ReadAllText(TextWriter err, string command, string option, string path, long maxBytes) =>
        ReadAllBytes(err, command, option, path, maxBytes) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>A byte count as people read it: <c>512 bytes</c>, <c>64 KiB</c>, <c>2.5 GiB</c> (at most two decimals, rounded down).</summary>
    /// <param name="bytes">The count.</param>
    /// <returns>The text.</returns>
    public static string Size(long bytes)
    {
        var (value, unit) = bytes switch
        {
            >= 1L << 30 => (bytes / (double)(1L << 30), "GiB"),
            >= 1L << 20 => (bytes / (double)(1L << 20), "MiB"),
            >= 1L << 10 => (bytes / 1024.0, "KiB"),
            1 => (1, "byte"),
            _ => (bytes, "bytes"),
        };
        // Rounded down, so that a limit is never shown as more than it is (Array.MaxLength reads 1.99 GiB, not 2).
        return (Math.Floor(value * 100) / 100).ToString("0.##", CultureInfo.InvariantCulture) + " " + unit;
    }
}
