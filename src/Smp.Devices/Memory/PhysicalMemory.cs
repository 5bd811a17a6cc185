using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Smp.Devices.Memory;

/// <summary>
/// The machine's physical address space: one RAM array that every CPU reads and writes directly
/// (as each core has a direct path to memory), read-only ROM windows, and MMIO windows that
/// forward to devices. It also keeps, per 4 KiB page, whether decoded code was cached from it and
/// a version that writes to such pages bump, so every CPU's decode cache notices self- and
/// cross-modifying code. A per-page dirty bitmap (see <c>PhysicalMemory.Dirty.cs</c>) records the
/// pages written since the last snapshot or restore, so restoring costs only those pages.
/// </summary>
public sealed unsafe partial class PhysicalMemory : IDisposable
{
    private readonly byte* _ram;
    private readonly byte[] _codePage;
    private readonly uint[] _pageVersion;
    private readonly List<(ulong Start, ulong End, IMmioDevice Device)> _mmio = [];
    private readonly List<(ulong Start, ulong End, byte[] Data)> _rom = [];
    private bool _disposed;

    /// <summary>Creates a physical address space with <paramref name="ramBytes"/> of zeroed RAM from address 0.</summary>
    public PhysicalMemory(ulong ramBytes)
    {
        if (ramBytes == 0 || (ramBytes & 0xFFF) != 0) throw new ArgumentOutOfRangeException(nameof(ramBytes), "RAM size must be a non-zero multiple of 4 KiB.");
        RamSize = ramBytes;
        _ram = (byte*)NativeMemory.AlignedAlloc((nuint)ramBytes, 4096);
        NativeMemory.Clear(_ram, (nuint)ramBytes);
        _codePage = new byte[ramBytes >> 12];
        _pageVersion = new uint[ramBytes >> 12];
        _dirty = new byte[ramBytes >> 12];
        _dirtyList = new int[(ramBytes >> 12) + 64];
    }

    /// <summary>Size of RAM in bytes; RAM occupies [0, RamSize) except where ROM or MMIO windows cover it.</summary>
    public ulong RamSize { get; }

    /// <summary>Host pointer to the first byte of RAM.</summary>
    public byte* RamBase => _ram;

    /// <summary>
    /// A span over all of RAM (for loaders, snapshots and tests). Writes through it (or through
    /// <see cref="RamBase"/>) bypass dirty tracking: follow them with <see cref="MarkDirty"/>.
    /// </summary>
    public Span<byte> Ram => new(_ram, checked((int)Math.Min(RamSize, int.MaxValue)));

    /// <summary>Maps <paramref name="device"/> at [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    public void MapMmio(ulong start, ulong length, IMmioDevice device) => _mmio.Add((start, start + length, device));

    /// <summary>Maps read-only memory with the given contents at <paramref name="start"/>; writes to it are ignored.</summary>
    public void MapRom(ulong start, byte[] data) => _rom.Add((start, start + (ulong)data.Length, data));

    /// <summary>
    /// Host pointer to the 4 KiB page holding <paramref name="address"/> when that page is plain RAM,
    /// or null when it is ROM, MMIO or unmapped (those accesses go through <see cref="Read"/>/<see cref="Write"/>).
    /// </summary>
    public byte* RamPage(ulong address)
    {
        if (address >= RamSize) return null;
        ulong page = address & ~0xFFFUL;
        foreach (var (start, end, _) in _mmio)
            if (page < end && page + 0x1000 > start) return null;
        foreach (var (start, end, _) in _rom)
            if (page < end && page + 0x1000 > start) return null;
        return _ram + page;
    }

    /// <summary>True when a decode cache holds code from physical page <paramref name="pageNumber"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsCodePage(ulong pageNumber) => pageNumber < (ulong)_codePage.Length && _codePage[pageNumber] != 0;

    /// <summary>Marks a page as holding cached decoded code; later writes to it bump its version.</summary>
    public void MarkCodePage(ulong pageNumber)
    {
        if (pageNumber >= (ulong)_codePage.Length || _codePage[pageNumber] != 0) return;
        _codePage[pageNumber] = 1;
        CodePageMarked?.Invoke(pageNumber);
    }

    /// <summary>
    /// Raised when a page first holds decoded code, so every CPU drops fast write paths to it
    /// (their next write then invalidates the decoded copies).
    /// </summary>
    public event Action<ulong>? CodePageMarked;

    /// <summary>
    /// Counts invalidations of decoded code anywhere in memory: a CPU may reuse a block it found by
    /// linear address without re-checking page versions while this is unchanged.
    /// </summary>
    public long CodeEpoch;

    /// <summary>The current version of a page's contents as far as decode caches are concerned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint PageVersion(ulong pageNumber) => pageNumber < (ulong)_pageVersion.Length ? _pageVersion[pageNumber] : 0;

    /// <summary>
    /// Called before a write to a code page lands: bumps the page's version so every CPU's decoded
    /// copies become stale, and clears the mark until code is decoded from it again.
    /// </summary>
    public void InvalidateCodePage(ulong pageNumber)
    {
        if (pageNumber >= (ulong)_codePage.Length) return;
        CodeEpoch++;
        _pageVersion[pageNumber]++;
        _codePage[pageNumber] = 0;
    }

    /// <summary>Reads <paramref name="size"/> bytes (1, 2, 4, 8) at a physical address; unmapped reads return all ones.</summary>
    public ulong Read(ulong address, int size)
    {
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
        if (address + (ulong)size <= RamSize)
        {
            byte* p = _ram + address;
            return size switch { 1 => *p, 2 => Unsafe.ReadUnaligned<ushort>(p), 4 => Unsafe.ReadUnaligned<uint>(p), _ => Unsafe.ReadUnaligned<ulong>(p) };
        }
        return size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
    }

    /// <summary>Writes <paramref name="size"/> bytes at a physical address; writes to ROM or unmapped space are dropped.</summary>
    public void Write(ulong address, int size, ulong value)
    {
        foreach (var (start, end, device) in _mmio)
            if (address >= start && address < end) { device.Write(address, size, value); return; }
        foreach (var (start, end, _) in _rom)
            if (address >= start && address < end) return;
        if (address + (ulong)size > RamSize) return;
        ulong first = address >> 12, last = (address + (ulong)size - 1) >> 12;
        MarkPageDirty(first);
        if (last != first) MarkPageDirty(last);
        if (IsCodePage(first)) InvalidateCodePage(first);
        if (last != first && IsCodePage(last)) InvalidateCodePage(last);
        byte* p = _ram + address;
        switch (size)
        {
            case 1: *p = (byte)value; break;
            case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
            case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
            default: Unsafe.WriteUnaligned(p, value); break;
        }
    }

    /// <summary>Copies bytes into physical memory (RAM only; used by loaders and the BIOS), invalidating code pages.</summary>
    public void Load(ulong address, ReadOnlySpan<byte> data)
    {
        if (address + (ulong)data.Length > RamSize) throw new ArgumentOutOfRangeException(nameof(address), $"{data.Length} bytes at 0x{address:X} do not fit in RAM.");
        for (ulong pg = address >> 12; pg <= (address + (ulong)Math.Max(data.Length, 1) - 1) >> 12; pg++)
        {
            MarkPageDirty(pg);
            if (IsCodePage(pg)) InvalidateCodePage(pg);
        }
        data.CopyTo(new Span<byte>(_ram + address, data.Length));
    }

    /// <summary>Reads bytes from RAM into <paramref name="destination"/>.</summary>
    public void Copy(ulong address, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (byte)Read(address + (ulong)i, 1);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMemory.AlignedFree(_ram);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the RAM if the owner forgot to.</summary>
    ~PhysicalMemory() => Dispose();
}
