namespace Smp.Devices.Platform.Firmware;

/// <summary>What a path names, as <c>stat(2)</c> tells after following symbolic links.</summary>
public enum FileKind
{
    /// <summary>Nothing: the path or one of its directories does not exist.</summary>
    Missing,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A character device such as <c>/dev/zero</c> or a terminal.</summary>
    CharacterDevice,

    /// <summary>A block device such as a disk.</summary>
    BlockDevice,

    /// <summary>A named pipe (opening it for reading waits for a writer).</summary>
    Fifo,

    /// <summary>A Unix socket.</summary>
    Socket,

    /// <summary>The path cannot be examined: a directory on it may not be searched.</summary>
    NoAccess,

    /// <summary>Where the file type is unknown (not Linux): a file of length 0, empty or special.</summary>
    EmptyOrSpecial,
}
