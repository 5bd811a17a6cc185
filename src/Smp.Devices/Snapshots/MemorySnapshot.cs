using System.Runtime.InteropServices;
using Smp.Devices.Memory;

namespace Smp.Devices.Snapshots;

/// <summary>
/// A copy of a <see cref="PhysicalMemory"/>'s RAM taken by <see cref="PhysicalMemory.TakeSnapshot"/>
/// and put back by <see cref="PhysicalMemory.Restore"/>. The copy lives in native memory (RAM may
/// exceed 2 GiB); dispose the snapshot to free it.
/// </summary>
/// <remarks>
/// Cost model: taking a snapshot copies all of RAM once; restoring the snapshot that memory was last
/// taken or restored as copies only the pages dirtied since (4 KiB each, found from a list of the
/// pages marked, so a restore with 10 dirty pages of a 128 MiB machine takes about 1 µs); restoring
/// any other snapshot of the same memory copies all of RAM. Every restore also bumps the code version
/// of the pages it copies and makes every attached CPU drop its write-TLB entries.
/// </remarks>
public sealed unsafe class MemorySnapshot : IDisposable
{
    private byte* _data;

    internal MemorySnapshot(PhysicalMemory owner, byte* ram, ulong size)
    {
        Owner = owner;
        Size = size;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)size, 4096);
        Buffer.MemoryCopy(ram, _data, size, size);
    }

    /// <summary>The memory this snapshot was taken of (it can only be restored there).</summary>
    public PhysicalMemory Owner { get; }

    /// <summary>Bytes of RAM held.</summary>
    public ulong Size { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _data == null;

    internal byte* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(MemorySnapshot));

    /// <summary>Reads the snapshot's copy of the byte at physical address <paramref name="address"/>.</summary>
    public byte ReadByte(ulong address) => address < Size ? Data[address] : throw new ArgumentOutOfRangeException(nameof(address));

    /// <summary>The snapshot's copy of RAM page <paramref name="pageNumber"/> (4 KiB).</summary>
    public ReadOnlySpan<byte> Page(ulong pageNumber)
    {
        if (pageNumber >= Size >> 12) throw new ArgumentOutOfRangeException(nameof(pageNumber));
        return new ReadOnlySpan<byte>(Data + (pageNumber << 12), 4096);
    }

    /// <summary>Frees the copy of RAM.</summary>
    public void Dispose()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the copy if the owner forgot to.</summary>
    ~MemorySnapshot() => Dispose();
}
