using System.Globalization;
using System.Text;

namespace Smp.Host.Guest.Initramfs;

/// <summary>
/// Writes a cpio archive in the "newc" format the Linux kernel unpacks as an initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst): each entry is the magic "070701", thirteen
/// 8-digit hex fields (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
/// namesize, check), the NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes; the archive ends
/// with an entry named "TRAILER!!!". Written by hand because no .NET library here writes newc archives.
/// </summary>
internal sealed class CpioNewcWriter
{
    /// <summary>File type bits of st_mode (S_IFDIR, S_IFREG, S_IFCHR).</summary>
    public const uint Directory = 0x4000, RegularFile = 0x8000, CharacterDevice = 0x2000;

    private readonly MemoryStream _archive = new();
    private uint _nextInode = 1;

    /// <summary>Adds a directory.</summary>
    public CpioNewcWriter AddDirectory(string name, uint permissions = 0x1ED) => Add(name, Directory | permissions, [], 0, 0, 2); // 0755

    /// <summary>Adds a regular file.</summary>
    public CpioNewcWriter AddFile(string name, ReadOnlySpan<byte> data, uint permissions = 0x1ED) => Add(name, RegularFile | permissions, data, 0, 0, 1);

    /// <summary>Adds a character device node with <paramref name="major"/>:<paramref name="minor"/>.</summary>
    public CpioNewcWriter AddCharacterDevice(string name, uint major, uint minor, uint permissions = 0x180) => Add(name, CharacterDevice | permissions, [], major, minor, 1); // 0600

    /// <summary>Ends the archive and returns its bytes.</summary>
    public byte[] Finish()
    {
        Add("TRAILER!!!", 0, [], 0, 0, 1, inode: 0);
        return _archive.ToArray();
    }

    private CpioNewcWriter Add(string name, uint mode, ReadOnlySpan<byte> data, uint rdevMajor, uint rdevMinor, uint links, uint? inode = null)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        uint[] fields = [inode ?? _nextInode++, mode, 0, 0, links, 0, (uint)data.Length, 0, 0, rdevMajor, rdevMinor, (uint)nameBytes.Length, 0];
        var header = new StringBuilder("070701");
        foreach (uint f in fields) header.Append(f.ToString("X8", CultureInfo.InvariantCulture));
        _archive.Write(Encoding.ASCII.GetBytes(header.ToString()));
        _archive.Write(nameBytes);
        Pad();
        _archive.Write(data);
        Pad();
        return this;
    }

    private void Pad()
    {
        while (_archive.Length % 4 != 0) _archive.WriteByte(0);
    }
}
