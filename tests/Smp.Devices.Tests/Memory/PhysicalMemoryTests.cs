using System.Runtime.InteropServices;
using Smp.Devices.Memory;

namespace Smp.Devices.Tests.GuestMemory;

/// <summary>RAM laid out around the PCI hole as a PC does, committed only where written, and refused with one sentence when it cannot be had.</summary>
public sealed partial class PhysicalMemoryTests
{
    private const ulong MiB = 1UL << 20, GiB = 1UL << 30;

    [Fact]
    public void Ram_beyond_the_pci_hole_lies_from_4_GiB_and_the_hole_reads_all_ones()
    {
        using var memory = new PhysicalMemory(3 * GiB, 3 * GiB);
        Assert.Equal(6 * GiB, memory.RamSize);
        Assert.Equal(7 * GiB, memory.RamTop);

        memory.Write(4 * GiB + 0x1234, 8, 0x0123_4567_89AB_CDEF);
        memory.Write(7 * GiB - 8, 8, 0x55);
        memory.Write(3 * GiB + 0x100, 4, 0x1234_5678);             // in the hole: dropped
        Assert.Equal(0x0123_4567_89AB_CDEFUL, memory.Read(4 * GiB + 0x1234, 8));
        Assert.Equal(0x55UL, memory.Read(7 * GiB - 8, 8));
        Assert.Equal(0xFFFF_FFFFUL, memory.Read(3 * GiB + 0x100, 4));
        Assert.Equal(ulong.MaxValue, memory.Read(7 * GiB, 8));    // past the top

        Assert.True(memory.IsRam(3 * GiB - 8, 8));
        Assert.False(memory.IsRam(3 * GiB - 4, 8));               // runs into the hole
        Assert.False(memory.IsRam(4 * GiB - 1, 2));
        Assert.True(memory.IsRam(4 * GiB, 3 * GiB));
        unsafe
        {
            Assert.True(memory.RamPage(3 * GiB + 0x5000) == null);
            Assert.True(memory.RamPage(4 * GiB + 0x1234) == memory.RamBase + 4 * GiB + 0x1000);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Load(3 * GiB + 0x2000, new byte[16]));
    }

    private sealed class Register : IMmioDevice
    {
        public ulong Value = 0x5A;
        public ulong Read(ulong address, int size) => Value;
        public void Write(ulong address, int size, ulong value) => Value = value;
    }

    [Fact]
    public void Rom_and_mmio_windows_mapped_over_ram_anywhere_take_precedence_and_ram_beside_them_stays_ram()
    {
        using var memory = new PhysicalMemory(64 * MiB, 2 * GiB);
        var register = new Register();
        memory.MapRom(0xF_0000, [0x11, 0x22]);
        memory.MapMmio(32 * MiB, 0x1000, register);          // inside low RAM, high above the ROM
        memory.MapMmio(5 * GiB, 0x1000, new Register());     // inside the RAM above 4 GiB

        memory.Write(0xF_0000, 1, 0xEE);                         // ROM: dropped
        memory.Write(32 * MiB + 8, 4, 0x1234);                   // the device
        memory.Write(32 * MiB + 0x1000, 4, 0x5678);              // RAM just past the window
        memory.Write(16 * MiB, 8, 0x0102_0304_0506_0708);
        memory.Write(5 * GiB + 0x2000, 2, 0xBEEF);

        Assert.Equal(0x2211UL, memory.Read(0xF_0000, 2));
        Assert.Equal(0x1234UL, register.Value);
        Assert.Equal(0x1234UL, memory.Read(32 * MiB + 0x10, 4));
        Assert.Equal(0x5678UL, memory.Read(32 * MiB + 0x1000, 4));
        Assert.Equal(0x0102_0304_0506_0708UL, memory.Read(16 * MiB, 8));
        Assert.Equal(0x5AUL, memory.Read(5 * GiB, 8));
        Assert.Equal(0xBEEFUL, memory.Read(5 * GiB + 0x2000, 2));
        unsafe
        {
            Assert.True(memory.RamPage(32 * MiB) == null);
            Assert.True(memory.RamPage(5 * GiB) == null);
            Assert.True(memory.RamPage(32 * MiB + 0x1000) == memory.RamBase + 32 * MiB + 0x1000);
        }
    }

    [Fact]
    public void A_64_GiB_memory_that_is_written_10_MiB_keeps_about_10_MiB_resident()
    {
        // The layout `--memory 65536` gets: 3 GiB below the PCI hole, 61 GiB from 4 GiB.
        using var memory = new PhysicalMemory(3 * GiB, 61 * GiB);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)0xA5);
        for (ulong i = 0; i < 80; i++) memory.Load(i * 37 * MiB % (3 * GiB), chunk);          // 5 MiB below 4 GiB
        for (ulong i = 0; i < 80; i++) memory.Load(4 * GiB + i * 701 * MiB % (61 * GiB), chunk); // 5 MiB above
        for (ulong a = 0; a < 3 * GiB; a += 97 * MiB) _ = memory.Read(a, 8);                   // reads commit nothing

        Assert.Equal(2560, memory.WrittenPageCount);
        Assert.InRange(ResidentBytes(memory), 10 * MiB, 12 * MiB);
        Assert.Equal(0xA5A5_A5A5UL, memory.Read(4 * GiB + 701 * MiB + 0x100, 4));
        Assert.Equal(0UL, memory.Read(60 * GiB, 8));
    }

    [Fact]
    public void Snapshots_of_a_64_GiB_memory_copy_only_the_pages_ever_written()
    {
        using var memory = new PhysicalMemory(3 * GiB, 61 * GiB);
        memory.Write(0x1000, 8, 1);
        memory.Write(40 * GiB, 8, 2);
        using var snapshot = memory.TakeSnapshot();
        memory.Write(40 * GiB, 8, 3);
        memory.Write(50 * GiB, 8, 4);

        Assert.Equal(2, memory.Restore(snapshot));
        Assert.Equal(2UL, memory.Read(40 * GiB, 8));
        Assert.Equal(0UL, memory.Read(50 * GiB, 8));
        Assert.Equal(2UL, snapshot.ReadByte(40 * GiB));
        Assert.Equal(3, memory.WrittenPageCount);
        Assert.Equal(0, memory.DirtyPageCount);
    }

    [Fact]
    public void Memory_the_host_cannot_provide_is_one_sentence_naming_the_size()
    {
        var beyond = Assert.Throws<GuestMemoryUnavailableException>(() => new PhysicalMemory(3 * GiB, 2048 * GiB));
        Assert.Equal(2051 * GiB, beyond.RequestedBytes);
        Assert.Equal("Cannot reserve 2 TiB of host memory for guest RAM: RAM would reach beyond the simulated CPU's 1 TiB physical address space.", beyond.Message);

        var refused = Assert.Throws<GuestMemoryUnavailableException>(() => new ZeroedMemory(1UL << 62, "guest RAM"));
        Assert.StartsWith("Cannot reserve 4 EiB of host memory for guest RAM: ", refused.Message);
        Assert.EndsWith(".", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    // Bytes of the RAM mapping backed by host pages (Linux mincore(2)): what the guest costs the host.
    internal static unsafe ulong ResidentBytes(PhysicalMemory memory)
    {
        ulong pages = memory.RamTop >> 12;
        var vector = new byte[pages];
        fixed (byte* v = vector)
            Assert.Equal(0, Mincore((nint)memory.RamBase, (nuint)memory.RamTop, v));
        ulong resident = 0;
        foreach (byte b in vector) resident += (ulong)(b & 1);
        return resident << 12;
    }

    [LibraryImport("libc", EntryPoint = "mincore")]
    private static unsafe partial int Mincore(nint address, nuint length, byte* vector);
}
