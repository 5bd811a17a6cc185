using System.Runtime.InteropServices;

namespace Smp.Devices.Tests.HostOracle;

/// <summary>The few libc entry points the oracle needs (Linux x86-64 only).</summary>
internal static unsafe partial class Native
{
    public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    public const int MapPrivate = 0x02, MapAnonymous = 0x20;
    public const int SigBlock = 0, SigSetMask = 2;

    /// <summary>glibc's sigset_t is 1024 bits.</summary>
    public const int SigSetBytes = 128;

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int mprotect(nint addr, nuint length, int prot);

    [LibraryImport("libc")]
    public static partial int pthread_sigmask(int how, byte* set, byte* oldSet);
}
