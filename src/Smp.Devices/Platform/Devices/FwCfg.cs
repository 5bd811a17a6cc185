using System.Buffers.Binary;
using System.Text;

namespace Smp.Devices.Platform;

/// <summary>
/// QEMU's fw_cfg interface, traditional I/O port flavour: a 16-bit selector at 0x510 picks an item and resets
/// the read offset; each byte read from 0x511 returns the next byte of the item (0 past its end or for
/// unknown keys). Item formats follow QEMU's docs/specs/fw_cfg.rst: integers are little-endian except the
/// file directory, which is big-endian. The DMA interface is not offered (the ID item says so). kvm-unit-tests read the
/// signature, <see cref="Key.NbCpus"/>, <see cref="Key.RamSize"/> and key 0x11 (their FW_CFG_MAX_RAM, a bare-metal
/// override), which must read 0: no item is ever put there.
/// </summary>
public sealed class FwCfg : IPortDevice
{
    /// <summary>The selector port (16-bit writes).</summary>
    public const ushort SelectorPort = 0x510;

    /// <summary>The data port (byte reads).</summary>
    public const ushort DataPort = 0x511;

    /// <summary>Well-known selector keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h numbering).</summary>
    public enum Key : ushort
    {
        /// <summary>"QEMU".</summary>
        Signature = 0x0000,
        /// <summary>u32 feature bitmap; bit 0 = traditional interface, bit 1 = DMA.</summary>
        Id = 0x0001,
        /// <summary>u64 RAM size in bytes (FW_CFG_RAM_SIZE).</summary>
        RamSize = 0x0003,
        /// <summary>u16 number of boot CPUs (FW_CFG_NB_CPUS).</summary>
        NbCpus = 0x0005,
        /// <summary>u16 maximum number of CPUs (FW_CFG_MAX_CPUS).</summary>
        MaxCpus = 0x000F,
        /// <summary>The file directory (FW_CFG_FILE_DIR).</summary>
        FileDir = 0x0019,
        /// <summary>The first key given to a named file (FW_CFG_FILE_FIRST).</summary>
        FileFirst = 0x0020,
    }

    private const ushort ArchLocal = 0x8000, WriteChannel = 0x4000, EntryMask = 0x3FFF;
    private const int FileNameLength = 56;

    private readonly Dictionary<ushort, byte[]> _items = [];
    private readonly List<(string Name, ushort Key, int Size)> _files = [];
    private readonly DeviceLog? _log;
    private byte[] _current = [];
    private int _offset;

    /// <summary>Creates fw_cfg describing <paramref name="cpuCount"/> CPUs (of at most <paramref name="maxCpus"/>) and <paramref name="ramBytes"/> of RAM.</summary>
    public FwCfg(int cpuCount, int maxCpus, ulong ramBytes, DeviceLog? log = null)
    {
        _log = log;
        _items[(ushort)Key.Signature] = "QEMU"u8.ToArray();
        _items[(ushort)Key.Id] = Le32(1);
        byte[] ram = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(ram, ramBytes);
        _items[(ushort)Key.RamSize] = ram;
        _items[(ushort)Key.NbCpus] = Le16((ushort)cpuCount);
        _items[(ushort)Key.MaxCpus] = Le16((ushort)maxCpus);
        RebuildDirectory();
        Select(0);
    }

    /// <summary>The selector last written.</summary>
    public ushort Selector { get; private set; }

    /// <summary>Claims 0x510–0x511 on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(SelectorPort, 2, this);

    /// <summary>Sets (or replaces) the raw contents of the item at <paramref name="key"/>.</summary>
    public void SetItem(ushort key, byte[] data) => _items[key] = data ?? throw new ArgumentNullException(nameof(data));

    /// <summary>Adds a named file (e.g. "etc/e820") and lists it in the directory; returns its selector key.</summary>
    public ushort AddFile(string name, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Encoding.ASCII.GetByteCount(name) >= FileNameLength) throw new ArgumentException($"fw_cfg file names are shorter than {FileNameLength} bytes.", nameof(name));
        ushort key = (ushort)((ushort)Key.FileFirst + _files.Count);
        _files.Add((name, key, data.Length));
        _items[key] = data;
        RebuildDirectory();
        return key;
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        if (port == SelectorPort) return 0; // QEMU: the selector register is write-only and reads 0
        // The data port is one byte wide; a wider access reads consecutive bytes, assembled little-endian.
        uint value = 0;
        for (int i = 0; i < size; i++) value |= (uint)NextByte() << (8 * i);
        return value;
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        if (port == SelectorPort) { Select((ushort)value); return; }
        _log?.Unmodelled(Name, "write to the data port (ignored, as in QEMU since 2.4)");
    }

    private const string Name = "fw_cfg";

    private void Select(ushort selector)
    {
        Selector = selector;
        _offset = 0;
        if ((selector & WriteChannel) != 0) _log?.Unmodelled(Name, "write channel selected");
        if ((selector & ArchLocal) != 0) _log?.Unmodelled(Name, $"architecture-specific key 0x{selector:X4} (none provided)");
        _current = (selector & (ArchLocal | WriteChannel)) == 0 && _items.TryGetValue((ushort)(selector & EntryMask), out byte[]? item) ? item : [];
    }

    private byte NextByte() => _offset < _current.Length ? _current[_offset++] : (byte)0;

    private void RebuildDirectory()
    {
        // struct FWCfgFiles { be32 count; struct FWCfgFile { be32 size; be16 select; be16 reserved; char name[56]; } f[]; }
        byte[] dir = new byte[4 + 64 * _files.Count];
        BinaryPrimitives.WriteUInt32BigEndian(dir, (uint)_files.Count);
        for (int i = 0; i < _files.Count; i++)
        {
            Span<byte> entry = dir.AsSpan(4 + 64 * i, 64);
            BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)_files[i].Size);
            BinaryPrimitives.WriteUInt16BigEndian(entry[4..], _files[i].Key);
            Encoding.ASCII.GetBytes(_files[i].Name, entry[8..]);
        }
        _items[(ushort)Key.FileDir] = dir;
        if (Selector == (ushort)Key.FileDir) _current = dir;
    }

    private static byte[] Le16(ushort v) { byte[] b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); return b; }

    private static byte[] Le32(uint v) { byte[] b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return b; }
}
