namespace Smp.Host.Files;

/// <summary>The reason of a failed file operation as the end of one sentence, without .NET's wording around it.</summary>
internal static class FileError
{
    /// <summary>
    /// Why <paramref name="exception"/> happened on <paramref name="path"/>: <c>permission denied</c>,
    /// <c>its directory does not exist</c>, or the system's reason (<c>No space left on device</c>) without the
    /// path .NET appends and without a final period.
    /// </summary>
    /// <param name="exception">An <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.</param>
    /// <param name="path">The path the operation was on.</param>
    /// <returns>The reason.</returns>
    public static string Reason(Exception exception, string path) => exception switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException => "its directory does not exist",
        FileNotFoundException => "it does not exist",
        PathTooLongException => "the path is too long",
        _ => Trim(exception.Message, path),
    };

    private static string Trim(string message, string path)
    {
        // .NET writes "No space left on device : '/dev/full'." on Unix.
        foreach (var suffix in new[] { $" : '{path}'", $" : '{Path.GetFullPath(path)}'" })
        {
            int at = message.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) message = message.Remove(at, suffix.Length);
        }

        return message.Trim().TrimEnd('.');
    }
}
