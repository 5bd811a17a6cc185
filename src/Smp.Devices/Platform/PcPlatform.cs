using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

/// <summary>
/// The PC's device layer assembled and wired as QEMU's i440fx machine wires it: every device on one
/// <see cref="PortBus"/>; ISA IRQ n drives both the 8259 pair's input n and I/O APIC pin n, except IRQ0, which
/// reaches I/O APIC pin 2 (the MADT and MP table say so). IRQ0 comes from the PIT and IRQ8 from the RTC unless the
/// HPET's legacy replacement takes them over for its timers 0 and 1; IRQ1/IRQ12 come from the i8042, IRQ4 from
/// COM1, IRQ9 is the ACPI SCI. Plain objects, not thread-safe: one owner calls <see cref="AdvanceTo"/> with
/// simulated time before forwarding port accesses, and devices reached by any CPU read the access time through
/// <see cref="CurrentTime"/>.
/// </summary>
public sealed partial class PcPlatform
{
    /// <summary>The UART's ISA IRQ (COM1).</summary>
    public const int Com1Irq = 4;

    /// <summary>The default RTC start date: fixed, so runs are reproducible.</summary>
    public static readonly DateTime DefaultRtcStart = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Builds the devices for <paramref name="cpuCount"/> CPUs (APIC IDs 0 … n − 1) and <paramref name="ramBytes"/> of RAM.</summary>
    /// <param name="cpuCount">Number of CPUs, 1–255.</param>
    /// <param name="ramBytes">RAM size (at least 2 MiB, a multiple of 4 KiB).</param>
    /// <param name="serialOutput">Where COM1's transmitted bytes go (the CLI writes them to standard output).</param>
    /// <param name="rtcStart">What the RTC shows at simulated time 0; <see cref="DefaultRtcStart"/> if null.</param>
    /// <param name="log">Where unmodelled guest behaviour is reported; a new log if null.</param>
    /// <param name="testDevices">Add QEMU's pc-testdev (<see cref="Testdev"/>), as kvm-unit-tests' runner does.</param>
    public PcPlatform(int cpuCount, ulong ramBytes, Action<byte> serialOutput, DateTime? rtcStart = null, DeviceLog? log = null, bool testDevices = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpuCount, 255);
        Log = log ?? new DeviceLog();
        Map = new MemoryMap(ramBytes);
        ApicIds = Enumerable.Range(0, cpuCount).Select(i => (byte)i).ToArray();

        Uart = new Uart16550(serialOutput, Uart16550.Com1Base, Log, CurrentTime);
        DebugExit = new DebugExit(DebugExit.DefaultPort, DebugExit.KvmUnitTestsSize);
        Rtc = new CmosRtc(Map.RamBelow4G, Map.RamAbove4G, cpuCount, rtcStart ?? DefaultRtcStart, Log);
        Pic = new Pic8259Pair(Log);
        Pit = new Pit8254(Log);
        FwCfg = new FwCfg(cpuCount, cpuCount, ramBytes, Log);
        IoApic = new IoApic(IoApicId, IoApic.DefaultBase, Log);
        foreach (Action<PortBus> attach in new Action<PortBus>[] { Uart.AttachTo, DebugExit.AttachTo, Rtc.AttachTo, Pic.AttachTo, Pit.AttachTo, FwCfg.AttachTo, CoprocessorError.AttachTo })
            attach(Ports);

        if (testDevices)
        {
            Testdev = new PcTestdev(SetInterruptLine);
            Testdev.AttachTo(Ports);
        }

        Uart.InterruptChanged += level => SetIsaIrq(Com1Irq, level);
        CoprocessorError.IrqChanged += level => SetIsaIrq(CoprocessorError.Irq, level);
        AttachChipset();

        Acpi = AcpiTables.Build(ApicIds, IoApicId, Map.AcpiBase, pciMemoryBase: Map.RamBelow4G);
        Mp = MpTable.Build(ApicIds, IoApicId);
    }

    /// <summary>The I/O APIC's ID (0, as QEMU numbers it; xAPIC I/O APIC IDs do not share the CPUs' ID space).</summary>
    public byte IoApicId => 0;

    /// <summary>The CPUs' local APIC IDs, boot CPU first.</summary>
    public IReadOnlyList<byte> ApicIds { get; }

    /// <summary>Unmodelled-feature reports from every device.</summary>
    public DeviceLog Log { get; }

    /// <summary>The I/O port space with every device registered; hand it to the CPUs as their <see cref="IPortBus"/>.</summary>
    public PortBus Ports { get; } = new();

    /// <summary>The physical and E820 maps.</summary>
    public MemoryMap Map { get; }

    /// <summary>COM1.</summary>
    public Uart16550 Uart { get; }

    /// <summary>QEMU's pc-testdev (ports 0xE0–0xEB and 0x2000–0x2017, MMIO at 0xFF000000), or null when the machine has none.</summary>
    public PcTestdev? Testdev { get; }

    /// <summary>isa-debug-exit at 0xF4–0xF7 (QEMU's iosize=4); subscribe to <see cref="DebugExit.ExitRequested"/> to end the run.</summary>
    public DebugExit DebugExit { get; }

    /// <summary>CMOS and RTC at 0x70/0x71.</summary>
    public CmosRtc Rtc { get; }

    /// <summary>The 8259 pair; its INTR output (<see cref="Pic8259Pair.InterruptChanged"/>) goes to the BSP's LINT0.</summary>
    public Pic8259Pair Pic { get; }

    /// <summary>The 8254 PIT and port 0x61.</summary>
    public Pit8254 Pit { get; }

    /// <summary>The x87 FERR#/IGNNE# logic at port F0h (IRQ 13); the machine connects the boot CPU's FERR# to it.</summary>
    public CoprocessorError CoprocessorError { get; } = new();

    /// <summary>QEMU fw_cfg at 0x510/0x511.</summary>
    public FwCfg FwCfg { get; }

    /// <summary>The I/O APIC; its <see cref="IoApic.InterruptRequested"/> messages go to the APIC bus.</summary>
    public IoApic IoApic { get; }

    /// <summary>The ACPI tables (RSDP at <see cref="AcpiTables.DefaultRsdpAddress"/>, the rest at <see cref="MemoryMap.AcpiBase"/>).</summary>
    public AcpiTables Acpi { get; }

    /// <summary>The MP tables (floating pointer at <see cref="MpTable.DefaultFloatingPointerAddress"/>).</summary>
    public MpTable Mp { get; }

    /// <summary>The earliest simulated time at which a device changes an interrupt line by itself (PIT, HPET, RTC, PM timer, COM1 time-out), or null.</summary>
    public long? NextEventTime
    {
        get
        {
            long? next = Pit.NextEventTime is { } t && Irq0CanInterrupt && !Hpet.LegacyReplacement ? t : null;
            return Earlier(Earlier(Earlier(Earlier(next, Hpet.NextEventTime), Rtc.NextEventTime), Pm.NextEventTime), Uart.NextEventTime);

            static long? Earlier(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
        }
    }

    /// <summary>
    /// Whether the boot CPU would take the PIC's INTR now (its IF); the machine sets it. A BSP halted with IF = 0 is
    /// woken by no PIC interrupt, so PIT edges through the PIC are then no machine events. Null: assume it would.
    /// </summary>
    public Func<bool>? ExtIntAccepted { get; set; }

    // IRQ0 reaches a CPU only through an unmasked PIC input 0 (and a BSP that accepts INTR) or an unmasked I/O APIC
    // pin 2. Otherwise PIT edges wake nobody, so they are not machine events: an idle machine stays idle (the PIT's
    // counters are still computed from the clock whenever the guest reads them). The BIOS leaves IRQ0 unmasked, as
    // PC BIOSes do, so a guest halted with IF = 0 still ends the run.
    private bool Irq0CanInterrupt => ((Pic.MasterImr & 1) == 0 && (ExtIntAccepted?.Invoke() ?? true)) || (IoApic.RedirectionEntry(2) & (1UL << 16)) == 0;

    /// <summary>Drives ISA interrupt line <paramref name="irq"/> (0–15) on both interrupt controllers.</summary>
    public void SetIsaIrq(int irq, bool level)
    {
        Pic.SetIrq(irq, level);
        IoApic.SetIrq(irq == 0 ? 2 : irq, level);
    }

    /// <summary>Drives interrupt line <paramref name="line"/>: ISA IRQ 0–15 on both controllers, I/O APIC pins 16–23 directly.</summary>
    public void SetInterruptLine(int line, bool level)
    {
        if (line < 16) SetIsaIrq(line, level);
        else IoApic.SetIrq(line, level);
    }

    /// <summary>Moves every clocked device to simulated time <paramref name="ns"/>.</summary>
    public void AdvanceTo(long ns)
    {
        if (ns == _advancedTo) return; // a burst of port accesses at one instant (polling loops)
        _advancedTo = ns;
        Rtc.AdvanceTo(ns);
        Pit.AdvanceTo(ns);
        long now = CurrentTime();
        Hpet.AdvanceTo(now);
        Pm.AdvanceTo(now);
        Uart.AdvanceTo(now);
    }

    private long _advancedTo = -1;

    /// <summary>
    /// Maps the MMIO devices (I/O APIC, HPET) into <paramref name="memory"/> and copies the ACPI and MP tables into RAM.
    /// If the BIOS maps a ROM over 0xE0000–0xFFFFF, copy <see cref="AcpiTables.Rsdp"/> and the MP blobs into the
    /// ROM image instead (<see cref="FirmwareBlob.CopyInto"/>), since ROM shadows RAM there.
    /// </summary>
    public void AttachTo(PhysicalMemory memory)
    {
        foreach (var (address, size, device) in MmioDevices) memory.MapMmio(address, size, device);
        Acpi.WriteTo(memory);
        Mp.WriteTo(memory);
    }
}
