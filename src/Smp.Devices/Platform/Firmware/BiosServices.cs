using Smp.Devices.Memory;

namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// The BIOS services as the simulator performs them, dispatched by trap port (table in <see cref="BiosTrapPorts"/>):
/// POST's data-area and table setup, INT 10h, 11h, 12h, 13h, 15h, 16h and 1Ah. Real-mode addresses the guest passes
/// (ES:BX, DS:SI, ES:DI) are segment × 16 + offset, wrapped at 1 MiB while A20 is disabled. Not thread-safe: the
/// BIOS actor calls it for one request at a time.
/// </summary>
public sealed partial class BiosServices : IBiosServices
{
    private const ushort ZeroFlag = 0x40;
    private readonly PhysicalMemory _memory;
    private readonly MemoryMap _map;
    private readonly CmosRtc _rtc;
    private readonly Action<byte> _screen;
    private readonly Action<bool>? _a20Changed;
    private readonly FirmwareBlob[] _tables;
    private readonly I8042? _keyboardController;

    /// <summary>Creates the services.</summary>
    /// <param name="memory">Guest physical memory (RAM the services read and write).</param>
    /// <param name="map">The machine's memory map: E820, E801, 88h and INT 12h answers come from it.</param>
    /// <param name="disk">Drive 80h, or null for a machine without a disk (INT 13h then reports no drive).</param>
    /// <param name="rtc">The CMOS clock: INT 1Ah time, date and tick count (simulated time).</param>
    /// <param name="screen">The host's view of the screen: each byte INT 10h prints (teletype and write-string), which also goes into the VGA text buffer.</param>
    /// <param name="a20Changed">Called with the new state when INT 15h AX=2400h/2401h changes A20; the integrator sets every CPU's <c>A20Mask</c>.</param>
    /// <param name="firmwareTables">ACPI and MP blobs; POST writes those that lie in RAM (the ROM already holds those in the BIOS area).</param>
    /// <param name="kernel">A kernel to boot instead of the disk (POST then hooks INT 19h), or null.</param>
    /// <param name="acpi">The ACPI tables a kernel's boot information may point at (required with <paramref name="kernel"/>).</param>
    /// <param name="keyboardController">The 8042, which POST self-tests and configures as a PC BIOS does, or null.</param>
    public BiosServices(PhysicalMemory memory, MemoryMap map, DiskImage? disk, CmosRtc rtc, Action<byte> screen,
        Action<bool>? a20Changed = null, IEnumerable<FirmwareBlob>? firmwareTables = null, IKernelImage? kernel = null, AcpiTables? acpi = null,
        I8042? keyboardController = null)
    {
        if (kernel is not null && acpi is null) throw new ArgumentNullException(nameof(acpi), "A kernel boot needs the ACPI tables.");
        _kernel = kernel;
        _acpi = acpi;
        _memory = memory ?? throw new ArgumentNullException(nameof(memory));
        _map = map ?? throw new ArgumentNullException(nameof(map));
        _rtc = rtc ?? throw new ArgumentNullException(nameof(rtc));
        _screen = screen ?? throw new ArgumentNullException(nameof(screen));
        _a20Changed = a20Changed;
        _tables = firmwareTables is null ? [] : [.. firmwareTables];
        _keyboardController = keyboardController;
        Disk = disk;
    }

    /// <summary>Creates the services for a platform: its memory map, RTC, ACPI and MP tables.</summary>
    /// <param name="platform">The devices and maps.</param>
    /// <param name="memory">Guest physical memory.</param>
    /// <param name="disk">Drive 80h, or null.</param>
    /// <param name="screen">The host's view of the screen: each byte INT 10h prints.</param>
    /// <param name="a20Changed">Called when INT 15h changes A20.</param>
    /// <param name="kernel">A kernel to boot instead of the disk, or null.</param>
    public static BiosServices ForPlatform(PcPlatform platform, PhysicalMemory memory, DiskImage? disk, Action<byte> screen, Action<bool>? a20Changed = null,
        IKernelImage? kernel = null)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return new BiosServices(memory, platform.Map, disk, platform.Rtc, screen, a20Changed, [.. platform.Acpi.Blobs, .. platform.Mp.Blobs], kernel, platform.Acpi,
            platform.Kbc);
    }

    /// <summary>Drive 80h, if the machine has a disk.</summary>
    public DiskImage? Disk { get; }

    /// <summary>Whether address line 20 is enabled (true from reset here, as after SeaBIOS's POST).</summary>
    public bool A20Enabled { get; private set; } = true;

    /// <summary>Number of trap calls served so far.</summary>
    public long Calls { get; private set; }

    /// <inheritdoc />
    public void Handle(int cpu, ushort trapPort, ref BiosRegisters registers)
    {
        Calls++;
        switch (trapPort)
        {
            case BiosTrapPorts.Post: Post(); break;
            case BiosTrapPorts.Video: Video(ref registers); break;
            case BiosTrapPorts.Equipment: registers.Eax = (registers.Eax & 0xFFFF_0000) | BiosDataArea.Equipment; break;
            case BiosTrapPorts.MemorySize: registers.Eax = (registers.Eax & 0xFFFF_0000) | (uint)(MemoryMap.EbdaBase / 1024); break;
            case BiosTrapPorts.Disk: DiskService(ref registers); break;
            case BiosTrapPorts.System: SystemService(ref registers); break;
            case BiosTrapPorts.Keyboard: Keyboard(ref registers); break;
            case BiosTrapPorts.Time: Time(ref registers); break;
            case BiosTrapPorts.KernelBoot: KernelBoot(ref registers); break;
            default:
                if (!BiosTrap.IsTrapPort(trapPort)) throw new ArgumentOutOfRangeException(nameof(trapPort), $"Port 0x{trapPort:X} is not a BIOS trap port.");
                break;
        }
    }

    // POST's simulator half: the BIOS data area, the EBDA and the firmware tables that live in RAM.
    private void Post()
    {
        Span<byte> zero = stackalloc byte[0x100];
        _memory.Load(BiosDataArea.Base, zero);
        Span<byte> ebda = stackalloc byte[BiosDataArea.EbdaSizeKiB * 1024];
        ebda[0] = BiosDataArea.EbdaSizeKiB;
        _memory.Load(MemoryMap.EbdaBase, ebda);

        _memory.Write(BiosDataArea.Com1Base, 2, Uart16550.Com1Base);
        _memory.Write(BiosDataArea.EbdaSegment, 2, MemoryMap.EbdaBase >> 4);
        _memory.Write(BiosDataArea.EquipmentWord, 2, BiosDataArea.Equipment);
        _memory.Write(BiosDataArea.BaseMemoryKiB, 2, MemoryMap.EbdaBase / 1024);
        _memory.Write(BiosDataArea.VideoMode, 1, 3);
        _memory.Write(BiosDataArea.VideoColumns, 2, 80);
        _memory.Write(BiosDataArea.CrtcBase, 2, 0x3D4);
        _memory.Write(BiosDataArea.VideoRowsMinusOne, 1, 24);
        _memory.Write(BiosDataArea.TimerTicks, 4, TicksSinceMidnight());
        _memory.Write(BiosDataArea.DiskCount, 1, Disk is null ? 0u : 1u);

        foreach (FirmwareBlob blob in _tables)
            if (_memory.IsRam(blob.Address, (ulong)blob.Bytes.Length)) blob.WriteTo(_memory);
        ConfigureKeyboardController();
        HookKernelBoot();
    }

    // The 8042 as an AT BIOS leaves it, through its own ports: self-test (0xAA answers 0x55 and sets the system flag),
    // then command byte 0x45 (IBM PC AT Technical Reference, keyboard controller): keyboard interrupt enabled, system
    // flag, scan codes translated to set 1; the auxiliary interrupt off. Linux then reports "AT Translated Set 2
    // keyboard", as under SeaBIOS; without it the controller kept its reset value and Linux saw a raw set 2 keyboard.
    private void ConfigureKeyboardController()
    {
        if (_keyboardController is not { } kbc) return;
        kbc.Out(I8042.CommandPort, 1, 0xAA);
        kbc.In(I8042.DataPort, 1);
        kbc.Out(I8042.CommandPort, 1, 0x60);
        kbc.Out(I8042.DataPort, 1, 0x45);
    }

    // segment:offset → physical, wrapped at 1 MiB while A20 is off.
    private ulong Linear(ushort segment, uint offset)
    {
        ulong a = ((ulong)segment << 4) + (offset & 0xFFFF);
        return A20Enabled ? a : a & ~(1UL << 20);
    }

    private void WriteGuest(ulong address, ReadOnlySpan<byte> data)
    {
        if (_memory.IsRam(address, (ulong)data.Length)) { _memory.Load(address, data); return; }
        for (int i = 0; i < data.Length; i++) _memory.Write(address + (ulong)i, 1, data[i]);
    }

    private static void Fail(ref BiosRegisters r, byte status)
    {
        r.Ah = status;
        r.Carry = true;
    }

    private static void Succeed(ref BiosRegisters r)
    {
        r.Ah = 0;
        r.Carry = false;
    }

    private static ushort Ax(in BiosRegisters r) => (ushort)r.Eax;

    private static void SetAx(ref BiosRegisters r, uint v) => r.Eax = (r.Eax & 0xFFFF_0000) | (v & 0xFFFF);

    private static void SetBx(ref BiosRegisters r, uint v) => r.Ebx = (r.Ebx & 0xFFFF_0000) | (v & 0xFFFF);

    private static void SetCx(ref BiosRegisters r, uint v) => r.Ecx = (r.Ecx & 0xFFFF_0000) | (v & 0xFFFF);

    private static void SetDx(ref BiosRegisters r, uint v) => r.Edx = (r.Edx & 0xFFFF_0000) | (v & 0xFFFF);
}
