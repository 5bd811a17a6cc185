using System.Runtime.CompilerServices;

namespace Smp.Devices.Memory;

/// <summary>
/// The machine's physical address space: RAM that every CPU reads and writes directly (as each core has a
/// direct path to memory), read-only ROM windows, and MMIO windows that forward to devices.
/// </summary>
/// <remarks>
/// <para>RAM is laid out as a PC lays it out: from address 0 up to <c>ramBelow4G</c>, and, on machines with
/// more RAM than fits below the PCI hole, from 4 GiB up (the E820 map of <c>Platform.MemoryMap</c> says the
/// same). Host memory is reserved for the whole range but committed only where the guest writes
/// (<see cref="ZeroedMemory"/>), so a 64 GiB guest that touches 10 MiB costs about 10 MiB of host memory.</para>
/// <para>Decoded code is tracked per byte (<c>PhysicalMemory.Code.cs</c>): every write into bytes that hold
/// decoded code, from a CPU, a device or a loader, makes the decoded copies of their 64-byte lines stale before
/// any CPU runs them again. A per-page dirty map (<c>PhysicalMemory.Dirty.cs</c>) records the pages written since the
/// last snapshot or restore, so restoring costs only those pages.</para>
/// </remarks>
public sealed unsafe partial class PhysicalMemory : IDisposable
{
    /// <summary>Where RAM beyond the PCI hole is mapped.</summary>
    public const ulong FourGiB = 0x1_0000_0000;

    // The simulated CPU's physical address width (CPUID.80000008H:EAX[7:0] = 40): no RAM can lie above it.
    private const ulong MaxRamTop = 1UL << 40;

    private readonly ZeroedMemory _ramMemory;
    private readonly byte* _ram;
    private readonly ulong _lowTop;
    private readonly ulong _highTop;
    private readonly List<(ulong Start, ulong End, IMmioDevice Device)> _mmio = [];
    private readonly List<(ulong Start, ulong End, byte[] Data)> _rom = [];
    // RAM from this address up has no ROM or MMIO window over it: reads and writes there skip the window lists (page
    // walks read RAM through Read, eight times per walk).
    private ulong _plainRamFrom;
    private bool _disposed;

    /// <summary>Creates a physical address space with <paramref name="ramBytes"/> of zeroed RAM from address 0.</summary>
    /// <exception cref="GuestMemoryUnavailableException">The host cannot reserve that much memory.</exception>
    public PhysicalMemory(ulong ramBytes) : this(ramBytes, 0)
    {
    }

    /// <summary>
    /// Creates a physical address space with <paramref name="ramBelow4G"/> bytes of zeroed RAM from address 0 and
    /// <paramref name="ramAbove4G"/> bytes from 4 GiB (a PC's layout around the PCI hole).
    /// </summary>
    /// <param name="ramBelow4G">RAM from address 0: a non-zero multiple of 4 KiB, at most 4 GiB when <paramref name="ramAbove4G"/> is not 0.</param>
    /// <param name="ramAbove4G">RAM from 4 GiB: a multiple of 4 KiB, or 0.</param>
    /// <exception cref="GuestMemoryUnavailableException">The host cannot reserve that much memory.</exception>
    public PhysicalMemory(ulong ramBelow4G, ulong ramAbove4G)
    {
        if (ramBelow4G == 0 || (ramBelow4G & 0xFFF) != 0 || (ramAbove4G & 0xFFF) != 0)
            throw new ArgumentOutOfRangeException(nameof(ramBelow4G), "RAM sizes must be multiples of 4 KiB, with RAM at address 0.");
        if (ramAbove4G != 0 && ramBelow4G > FourGiB)
            throw new ArgumentOutOfRangeException(nameof(ramBelow4G), "RAM below 4 GiB cannot exceed 4 GiB.");
        _lowTop = ramBelow4G;
        _highTop = ramAbove4G == 0 ? 0 : FourGiB + ramAbove4G;
        RamSize = ramBelow4G + ramAbove4G;
        RamTop = Math.Max(_lowTop, _highTop);
        if (RamTop > MaxRamTop)
            throw new GuestMemoryUnavailableException(RamSize, "guest RAM", "RAM would reach beyond the simulated CPU's 1 TiB physical address space");
        _ramMemory = new ZeroedMemory(RamTop, "guest RAM");
        _ram = _ramMemory.Pointer;
        _pages = (int)(RamTop >> 12);
        _pageState = new ZeroedMemory(PageStateBytes(_pages), "guest RAM bookkeeping");
        CarvePageState(_pageState.Pointer);
    }

    /// <summary>Total bytes of RAM (below and above 4 GiB).</summary>
    public ulong RamSize { get; }

    /// <summary>One past the highest RAM address: <see cref="RamSize"/> when all RAM lies below 4 GiB, else 4 GiB + the RAM above it.</summary>
    public ulong RamTop { get; }

    /// <summary>Host pointer to physical address 0; RAM at physical address a is at <c>RamBase + a</c>.</summary>
    public byte* RamBase => _ram;

    /// <summary>
    /// A span over RAM from address 0 (at most 2 GiB of it; for loaders, snapshots and tests). Writes through it (or
    /// through <see cref="RamBase"/>) bypass dirty tracking and code invalidation: follow them with <see cref="MarkWritten"/>.
    /// </summary>
    public Span<byte> Ram => new(_ram, (int)Math.Min(_lowTop, int.MaxValue));

    /// <summary>True when [<paramref name="address"/>, <paramref name="address"/> + <paramref name="length"/>) is RAM (ROM and MMIO windows aside).</summary>
    public bool IsRam(ulong address, ulong length)
    {
        if (length == 0) return address <= RamTop;
        ulong last = address + length - 1;
        if (last < address) return false;
        return last < _lowTop || (address >= FourGiB && last < _highTop);
    }

    /// <summary>True when a device answers accesses to <paramref name="address"/> (an MMIO window), where a read may have side effects.</summary>
    public bool IsMmio(ulong address)
    {
        foreach (var (start, end, _) in _mmio)
            if (address >= start && address < end) return true;
        return false;
    }

    /// <summary>Maps <paramref name="device"/> at [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    public void MapMmio(ulong start, ulong length, IMmioDevice device)
    {
        _mmio.Add((start, start + length, device));
        CoverRam(start, start + length);
    }

    /// <summary>Maps read-only memory with the given contents at <paramref name="start"/>; writes to it are ignored.</summary>
    public void MapRom(ulong start, byte[] data)
    {
        _rom.Add((start, start + (ulong)data.Length, data));
        CoverRam(start, start + (ulong)data.Length);
    }

    private void CoverRam(ulong start, ulong end)
    {
        bool overRam = start < _lowTop || (end > FourGiB && start < _highTop);
        if (overRam && end > _plainRamFrom) _plainRamFrom = end;
    }

    /// <summary>
    /// Host pointer to the 4 KiB page holding <paramref name="address"/> when that page is plain RAM,
    /// or null when it is ROM, MMIO or unmapped (those accesses go through <see cref="Read"/>/<see cref="Write"/>).
    /// </summary>
    public byte* RamPage(ulong address)
    {
        ulong page = address & ~0xFFFUL;
        if (!IsRam(page, 0x1000)) return null;
        if (page >= _plainRamFrom) return _ram + page;
        foreach (var (start, end, _) in _mmio)
            if (page < end && page + 0x1000 > start) return null;
        foreach (var (start, end, _) in _rom)
            if (page < end && page + 0x1000 > start) return null;
        return _ram + page;
    }

    /// <summary>Reads <paramref name="size"/> bytes (1, 2, 4, 8) at a physical address; unmapped reads return all ones.</summary>
    public ulong Read(ulong address, int size)
    {
        if (address >= _plainRamFrom && IsRam(address, (ulong)size)) return ReadRam(address, size);
        foreach (var (start, end, device) in _mmio)
            if (address >= start && address < end) return device.Read(address, size);
        foreach (var (start, end, data) in _rom)
            if (address >= start && address < end)
            {
                ulong v = 0;
                for (int i = size - 1; i >= 0; i--)
                {
                    ulong a = address + (ulong)i - start;
                    v = (v << 8) | (a < (ulong)data.Length ? data[a] : (byte)0xFF);
                }
                return v;
            }
        if (IsRam(address, (ulong)size)) return ReadRam(address, size);
        return size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
    }

    private ulong ReadRam(ulong address, int size)
    {
        byte* p = _ram + address;
        return size switch { 1 => *p, 2 => Unsafe.ReadUnaligned<ushort>(p), 4 => Unsafe.ReadUnaligned<uint>(p), _ => Unsafe.ReadUnaligned<ulong>(p) };
    }

    /// <summary>
    /// Writes <paramref name="size"/> bytes at a physical address; writes to ROM or unmapped space are dropped. A
    /// write into decoded code makes it stale for every CPU.
    /// </summary>
    public void Write(ulong address, int size, ulong value)
    {
        if (address >= _plainRamFrom && IsRam(address, (ulong)size))
        {
            WriteRam(address, size, value);
            return;
        }
        foreach (var (start, end, device) in _mmio)
            if (address >= start && address < end) { device.Write(address, size, value); return; }
        foreach (var (start, end, _) in _rom)
            if (address >= start && address < end) return;
        if (IsRam(address, (ulong)size)) WriteRam(address, size, value);
    }

    // A write to RAM known to be RAM: the bytes land first, then the decoded copies of what they overwrote are
    // made stale, so a CPU that decodes concurrently either reads the new bytes or sees its copy invalidated.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteRam(ulong address, int size, ulong value)
    {
        ulong first = address >> 12, last = (address + (ulong)size - 1) >> 12;
        MarkPageDirty(first);
        if (last != first) MarkPageDirty(last);
        byte* p = _ram + address;
        switch (size)
        {
            case 1: *p = (byte)value; break;
            case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
            case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
            default: Unsafe.WriteUnaligned(p, value); break;
        }
        if (_codeIndex[first] != 0 || _codeIndex[last] != 0) InvalidateCode(address, (ulong)size);
    }

    /// <summary>Copies bytes into RAM (loaders, the BIOS, device DMA), making decoded code they overwrite stale.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bytes do not lie in RAM.</exception>
    public void Load(ulong address, ReadOnlySpan<byte> data)
    {
        if (!IsRam(address, (ulong)data.Length)) throw new ArgumentOutOfRangeException(nameof(address), $"{data.Length} bytes at 0x{address:X} do not fit in RAM.");
        if (data.IsEmpty) return;
        MarkDirtyPages(address, (ulong)data.Length);
        data.CopyTo(new Span<byte>(_ram + address, data.Length));
        InvalidateCode(address, (ulong)data.Length);
    }

    /// <summary>Reads bytes from physical memory into <paramref name="destination"/> (unmapped bytes read as all ones).</summary>
    public void Copy(ulong address, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (byte)Read(address + (ulong)i, 1);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ramMemory.Dispose();
        _pageState.Dispose();
    }
}
