using System.Runtime.InteropServices;

namespace Smp.Devices.Platform.Firmware;

public sealed partial class DiskImageSource
{
    /// <summary>
    /// The kind of a file that is not a regular file ("a character device", "a FIFO", ...), read with Linux's
    /// statx(2), whose result layout is the same on every architecture. .NET reports no file kinds on Unix; without
    /// statx (other systems, old C libraries) the kind is unknown and the size check that follows stands in.
    /// </summary>
    private static partial class FileKind
    {
        private const int AtFdCwd = -100, StatxType = 0x1, StatxSize = 256, ModeOffset = 28;

        /// <summary>A phrase naming the kind of <paramref name="path"/> when it is not a regular file, else null.</summary>
        public static unsafe string? Of(string path)
        {
            if (!OperatingSystem.IsLinux()) return null;
            byte* buffer = stackalloc byte[StatxSize];
            try
            {
                if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
            }
            catch (EntryPointNotFoundException)
            {
                return null;
            }

            int type = *(ushort*)(buffer + ModeOffset) & 0xF000;
            return type switch
            {
                0x8000 => null,
                0x4000 => "a directory",
                0x2000 => "a character device",
                0x6000 => "a block device",
                0x1000 => "a FIFO (named pipe)",
                0xC000 => "a socket",
                _ => "a special file",
            };
        }

        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* result);
    }
}
