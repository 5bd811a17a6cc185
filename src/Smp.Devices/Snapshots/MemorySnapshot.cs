using Smp.Devices.Memory;

namespace Smp.Devices.Snapshots;

/// <summary>
/// A copy of a <see cref="PhysicalMemory"/>'s RAM taken by <see cref="PhysicalMemory.TakeSnapshot"/>
/// and put back by <see cref="PhysicalMemory.Restore"/>. The copy lives in native memory that costs host
/// memory only for the pages the guest had written (the others read as zero); dispose it to free it.
/// </summary>
/// <remarks>
/// Cost model: taking a snapshot copies every RAM page ever written once; restoring the snapshot that memory
/// was last taken or restored as copies only the pages dirtied since (4 KiB each, found from a list of the
/// pages marked, so a restore with 10 dirty pages takes about 1 µs); restoring any other snapshot of the same
/// memory copies every page ever written. Every restore also makes decoded code on the pages it copies stale
/// and makes every attached CPU drop its write-TLB entries.
/// </remarks>
public sealed unsafe class MemorySnapshot : IDisposable
{
    private readonly ZeroedMemory _data;

    internal MemorySnapshot(PhysicalMemory owner, ulong size)
    {
        Owner = owner;
        Size = size;
        _data = new ZeroedMemory(size, "a RAM snapshot");
    }

    /// <summary>The memory this snapshot was taken of (it can only be restored there).</summary>
    public PhysicalMemory Owner { get; }

    /// <summary>Bytes of physical address space held (up to the top of RAM, holes included).</summary>
    public ulong Size { get; }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed { get; private set; }

    internal byte* Data => !IsDisposed ? _data.Pointer : throw new ObjectDisposedException(nameof(MemorySnapshot));

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
        if (IsDisposed) return;
        IsDisposed = true;
        _data.Dispose();
    }
}
