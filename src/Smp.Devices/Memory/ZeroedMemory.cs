using System.Runtime.InteropServices;

namespace Smp.Devices.Memory;

/// <summary>
/// Native memory that reads as zeros and costs host memory only where it is written: guest RAM, its
/// per-page bookkeeping and RAM snapshots, whose size follows the guest's configuration rather than
/// what the guest touches. On Linux it is a private anonymous mapping reserved without swap
/// accounting (<c>MAP_NORESERVE</c>), which the kernel fills with zero pages on first touch; elsewhere
/// it comes from <see cref="NativeMemory.AllocZeroed(nuint)"/>, whose large allocations the C
/// libraries of Windows and macOS also take from fresh, lazily zeroed pages.
/// </summary>
internal sealed unsafe partial class ZeroedMemory : IDisposable
{
    // mmap(2) constants of Linux (identical on x86-64 and arm64).
    private const int ProtRead = 1, ProtWrite = 2;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20, MapNoReserve = 0x4000;

    private readonly bool _mapped;
    private byte* _pointer;

    /// <summary>Reserves <paramref name="bytes"/> of zeroed memory.</summary>
    /// <param name="bytes">The size; at least 1.</param>
    /// <param name="purpose">What the memory is for, named in the exception when it cannot be had ("guest RAM").</param>
    /// <exception cref="GuestMemoryUnavailableException">The host refused the reservation.</exception>
    public ZeroedMemory(ulong bytes, string purpose)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bytes);
        Length = bytes;
        if (bytes > nuint.MaxValue) throw new GuestMemoryUnavailableException(bytes, purpose, "it exceeds the host's address space");
        if (OperatingSystem.IsLinux())
        {
            nint p = Mmap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
            if (p == -1)
                throw new GuestMemoryUnavailableException(bytes, purpose, $"mmap failed with errno {Marshal.GetLastPInvokeError()}");
            _pointer = (byte*)p;
            _mapped = true;
            return;
        }

        try
        {
            _pointer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
        }
        catch (OutOfMemoryException)
        {
            throw new GuestMemoryUnavailableException(bytes, purpose, "the host is out of memory");
        }
    }

    /// <summary>The first byte.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(ZeroedMemory));

    /// <summary>Size in bytes.</summary>
    public ulong Length { get; }

    /// <summary>Returns the memory to the host.</summary>
    public void Dispose()
    {
        if (_pointer == null) return;
        if (_mapped) Munmap((nint)_pointer, (nuint)Length);
        else NativeMemory.Free(_pointer);
        _pointer = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns the memory if the owner forgot to.</summary>
    ~ZeroedMemory() => Dispose();

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}
