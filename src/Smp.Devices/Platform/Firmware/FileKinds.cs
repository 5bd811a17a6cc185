using System.Runtime.InteropServices;

namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// Finds a path's <see cref="FileKind"/> and size without opening it, so that a FIFO never blocks and a
/// device is never read. .NET reports device files, FIFOs and sockets as ordinary files of length 0 (it
/// has no API for the file type, dotnet/runtime#13946), so on Linux this asks the kernel with
/// <c>statx(2)</c>, whose buffer layout is the same on every architecture; elsewhere it falls back to
/// what .NET tells (a length-0 file may be empty or special).
/// </summary>
public static partial class FileKinds
{
    // statx(2): AT_FDCWD, STATX_TYPE | STATX_SIZE, and where stx_mode and stx_size sit in struct statx.
    private const int AtFdCwd = -100;
    private const uint StatxTypeAndSize = 0x1 | 0x200;
    private const int StatxBufferSize = 256, ModeOffset = 28, SizeOffset = 40;

    // errno values for "no such path" and "not searchable" (asm-generic/errno-base.h, the same on every Linux).
    private const int Enoent = 2, Eacces = 13, Enotdir = 20;

    private static bool _statxMissing = !OperatingSystem.IsLinux();

    /// <summary>The kind of <paramref name="path"/> and, for a regular file, its length in bytes (0 otherwise).</summary>
    /// <param name="path">A path, relative to the current directory or absolute.</param>
    /// <param name="length">The regular file's length.</param>
    /// <returns>The kind.</returns>
    public static FileKind Of(string path, out long length)
    {
        if (!_statxMissing)
        {
            try
            {
                return FromStatx(path, out length);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _statxMissing = true; // a libc without statx (glibc < 2.28): fall back for the rest of the process
            }
        }

        return FromDotNet(path, out length);
    }

    /// <summary>
    /// Why a path of <paramref name="kind"/> cannot be read as an input file, as the end of a sentence that starts with
    /// its name (<c>is a character device, not a file</c>), or null for a regular file.
    /// </summary>
    /// <param name="kind">What the path names.</param>
    /// <returns>The refusal, or null.</returns>
    public static string? Refusal(FileKind kind) => kind switch
    {
        FileKind.Regular => null,
        FileKind.Missing => "does not exist",
        FileKind.Directory => "is a directory, not a file",
        FileKind.CharacterDevice => "is a character device, not a file",
        FileKind.BlockDevice => "is a block device, not a file",
        FileKind.Fifo => "is a named pipe (FIFO), not a file",
        FileKind.Socket => "is a socket, not a file",
        FileKind.NoAccess => "cannot be reached: permission denied on a directory of its path",
        _ => "is empty or not a regular file",
    };

    private static unsafe FileKind FromStatx(string path, out long length)
    {
        length = 0;
        byte* buffer = stackalloc byte[StatxBufferSize];
        if (Statx(AtFdCwd, path, 0, StatxTypeAndSize, buffer) != 0)
        {
            return Marshal.GetLastPInvokeError() switch
            {
                Enoent or Enotdir => FileKind.Missing,
                Eacces => FileKind.NoAccess,
                _ => FromDotNet(path, out length),
            };
        }

        // S_IFMT bits of st_mode (sys/stat.h).
        var kind = (*(ushort*)(buffer + ModeOffset) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.CharacterDevice, // no other type exists on Linux; refuse it as a special file
        };
        if (kind == FileKind.Regular) length = *(long*)(buffer + SizeOffset);
        return kind;
    }

    private static FileKind FromDotNet(string path, out long length)
    {
        length = 0;
        if (Directory.Exists(path)) return FileKind.Directory;
        var info = new FileInfo(path);
        if (!info.Exists) return FileKind.Missing;
        length = info.Length;
        return length > 0 ? FileKind.Regular : FileKind.EmptyOrSpecial;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directoryFd, string path, int flags, uint mask, byte* buffer);
}
