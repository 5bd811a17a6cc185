using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

// The chipset devices a Linux kernel probes beyond the legacy ISA set: HPET, ACPI PM, PCI configuration,
// i8042, port 92h; how their interrupts, the reset line and the A20 gate are wired.
public sealed partial class PcPlatform
{
    private long _lastAccessTime;
    private bool _pitIrq0, _rtcIrq8, _a20 = true;

    /// <summary>The HPET at 0xFED00000.</summary>
    public Hpet Hpet { get; private set; } = null!;

    /// <summary>The ACPI PM1 event/control blocks and PM timer at 0x600.</summary>
    public AcpiPm Pm { get; private set; } = null!;

    /// <summary>PCI configuration mechanism #1 (0xCF8/0xCFC) with the i440FX and PIIX3, and the reset control register 0xCF9.</summary>
    public PciConfigSpace Pci { get; private set; } = null!;

    /// <summary>The i8042 keyboard controller at 0x60/0x64.</summary>
    public I8042 Kbc { get; private set; } = null!;

    /// <summary>Port 92h (fast A20 and INIT).</summary>
    public SystemControlPortA PortA { get; private set; } = null!;

    /// <summary>The A20 gate: the i8042's output port bit 1 ORed with port 92h bit 1 (on at power-on, as QEMU's KBC starts).</summary>
    public bool A20 => _a20;

    /// <summary>Raised when the guest powers the machine off (ACPI S5: PM1a_CNT SLP_EN with the soft-off type).</summary>
    public event Action? PowerOffRequested;

    /// <summary>Raised when the guest resets the machine, with the source (the i8042's reset line, port 92h, or 0xCF9).</summary>
    public event Action<string>? ResetRequested;

    /// <summary>Raised when the A20 gate changes; the machine applies it to every CPU.</summary>
    public event Action<bool>? A20Changed;

    /// <summary>
    /// Raised after a device's next timed event may have moved (the HPET or RTC reprogrammed, a PM enable written), so
    /// the owner of the clock can re-arm its wake-up: a CPU other than the one that advances the platform may have done it.
    /// </summary>
    public event Action? EventsRescheduled;

    /// <summary>The MMIO devices and their windows, for the memory map (the I/O APIC, the HPET, pc-testdev's scratch window when present).</summary>
    public IReadOnlyList<(ulong Base, ulong Size, IMmioDevice Device)> MmioDevices => Testdev is { } testdev
        ? [(IoApic.BaseAddress, IoApic.WindowSize, IoApic), (Hpet.BaseAddress, Hpet.WindowSize, Hpet), (PcTestdev.MmioBase, PcTestdev.MmioSize, testdev)]
        : [(IoApic.BaseAddress, IoApic.WindowSize, IoApic), (Hpet.BaseAddress, Hpet.WindowSize, Hpet)];

    /// <summary>
    /// The simulated time of the access in progress: the executing CPU's clock when a CPU is running on this thread,
    /// else the time the platform was last advanced to; never earlier than a previous access (CPUs of one quantum run
    /// at slightly different times, and the devices' clocks must not run backwards).
    /// </summary>
    public long CurrentTime()
    {
        long t = Math.Max(Math.Max(_advancedTo, ExecutingCpu.Time ?? 0), _lastAccessTime);
        _lastAccessTime = t;
        return t;
    }

    private void AttachChipset()
    {
        Hpet = new Hpet(CurrentTime, Hpet.DefaultBase, Log);
        Pm = new AcpiPm(CurrentTime, Log);
        Pci = new PciConfigSpace();
        Pci.Add(0, 0, PcChipset.I440fxHostBridge(Log));
        Pci.Add(1, 0, PcChipset.Piix3IsaBridge(Log));
        Kbc = new I8042(Log);
        PortA = new SystemControlPortA();
        foreach (Action<PortBus> attach in new Action<PortBus>[] { Pm.AttachTo, Pci.AttachTo, Kbc.AttachTo, PortA.AttachTo })
            attach(Ports);

        // IRQ0 and IRQ8: the PIT and the RTC, unless the HPET's legacy replacement routes its timers 0 and 1 there
        // instead (IA-PC HPET 1.0a §2.3.5, LEG_RT_CNF).
        Pit.Irq0Changed += level =>
        {
            _pitIrq0 = level;
            if (!Hpet.LegacyReplacement) SetIsaIrq(0, level);
        };
        Rtc.IrqChanged += level =>
        {
            _rtcIrq8 = level;
            if (!Hpet.LegacyReplacement) SetIsaIrq(8, level);
        };
        Hpet.LegacyReplacementChanged += on =>
        {
            SetIsaIrq(0, !on && _pitIrq0);
            SetIsaIrq(8, !on && _rtcIrq8);
        };
        Hpet.OutputChanged += (timer, level) =>
        {
            var (isaIrq, gsi) = Hpet.Route(timer);
            if (isaIrq >= 0) SetIsaIrq(isaIrq, level);
            else if (gsi < IoApic.PinCount) IoApic.SetIrq(gsi, level);
        };
        Pm.SciChanged += level => SetIsaIrq(AcpiPm.SciIrq, level);
        Kbc.IrqChanged += SetIsaIrq;

        Pm.PowerOffRequested += () => PowerOffRequested?.Invoke();
        Kbc.ResetRequested += () => ResetRequested?.Invoke("the i8042 pulsed the reset line");
        PortA.ResetRequested += () => ResetRequested?.Invoke("port 92h FAST_INIT");
        Pci.ResetRequested += hard => ResetRequested?.Invoke($"the PIIX3 reset control register 0xCF9 ({(hard ? "hard" : "soft")} reset)");
        Kbc.A20Changed += _ => UpdateA20();
        PortA.A20Changed += _ => UpdateA20();
        foreach (var scheduled in new Action<Action>[] { h => Hpet.ScheduleChanged += h, h => Pm.ScheduleChanged += h, h => Rtc.ScheduleChanged += h, h => Uart.ScheduleChanged += h })
            scheduled(() => EventsRescheduled?.Invoke());
    }

    private void UpdateA20()
    {
        bool a20 = Kbc.A20 || PortA.A20;
        if (a20 == _a20) return;
        _a20 = a20;
        A20Changed?.Invoke(a20);
    }
}
