namespace Smp.Devices.Platform;

/// <summary>
/// The ACPI fixed hardware of the PIIX4 power-management function that QEMU's <c>pc</c> machine pairs with the
/// PIIX3, decoded at I/O base 0x600 (where SeaBIOS programs PMBA): PM1a_STS/PM1a_EN at 0x600/0x602, PM1a_CNT at
/// 0x604 and the 24-bit ACPI PM timer at 0x608 (ACPI 6.4 §4.8.3; Intel 82371AB PIIX4 datasheet §7.2, PMSTS,
/// PMEN, PMCNTRL, PMTMR). The PCI function that would hold PMBA is not modelled: the block is always decoded
/// there, as if firmware had programmed and enabled it.
/// </summary>
/// <remarks>
/// The FADT declares SMI_CMD = 0 (no legacy mode), so SCI_EN is hardware-set and reads 1 (ACPI §4.8.3.2.1: "it is
/// the responsibility of the hardware to set or reset this bit"). The SCI is level-triggered, asserted while any
/// PM1 status bit is set together with its enable bit. Writing SLP_EN with SLP_TYP = 000b (the PIIX4 "soft off"
/// encoding; the DSDT's \_S5 says so) powers the machine off through <see cref="PowerOffRequested"/>; other sleep
/// types are reported as unmodelled and leave the machine running.
/// </remarks>
public sealed class AcpiPm : IPortDevice
{
    /// <summary>The PM I/O base (PIIX4 PMBA as SeaBIOS programs it under QEMU).</summary>
    public const ushort BasePort = 0x600;

    /// <summary>PM1a_EVT_BLK: PM1_STS (16 bits) then PM1_EN (16 bits).</summary>
    public const ushort Pm1aEventBlock = BasePort;

    /// <summary>PM1a_CNT_BLK: PM1_CNT (16 bits).</summary>
    public const ushort Pm1aControlBlock = BasePort + 4;

    /// <summary>PM_TMR_BLK: the 32-bit read-only timer register, of which 24 bits count.</summary>
    public const ushort PmTimerBlock = BasePort + 8;

    /// <summary>The PM timer's rate: 3.579545 MHz (ACPI §4.8.3.3), the PC's 14.31818 MHz crystal divided by 4.</summary>
    public const long TimerFrequencyHz = 3_579_545;

    /// <summary>The ISA IRQ of the SCI (FADT SCI_INT; level, active high through the MADT's override).</summary>
    public const int SciIrq = 9;

    /// <summary>The SLP_TYP value that powers off (PIIX4 PMCNTRL SUS_TYP 000b, soft off).</summary>
    public const int SoftOffSleepType = 0;

    // PM1_STS / PM1_EN bits (ACPI §4.8.3.1, Tables 4.16 and 4.17).
    private const ushort TmrSts = 1 << 0, BmSts = 1 << 4, GblSts = 1 << 5, PwrBtnSts = 1 << 8, SlpBtnSts = 1 << 9, RtcSts = 1 << 10, WakSts = 1 << 15;
    private const ushort StatusBits = TmrSts | BmSts | GblSts | PwrBtnSts | SlpBtnSts | RtcSts | WakSts;
    private const ushort EnableBits = TmrSts | GblSts | PwrBtnSts | SlpBtnSts | RtcSts;

    // PM1_CNT bits (ACPI §4.8.3.2.1, Table 4.18).
    private const ushort SciEn = 1 << 0, BmRld = 1 << 1, GblRls = 1 << 2, SlpTypMask = 7 << 10, SlpEn = 1 << 13;

    private const int TimerBits = 24;
    private const string Name = "acpi-pm";

    private readonly Func<long> _clock;
    private readonly DeviceLog? _log;
    private ushort _status, _enable, _control = SciEn;
    private long _syncedTick;
    private long _toggleAt; // the simulated time at which bit 23 next changes after _syncedTick
    private bool _sci;

    /// <summary>Creates the block; <paramref name="clock"/> gives the simulated time (ns) of each access.</summary>
    /// <param name="clock">The simulated time of the access in progress (monotonic).</param>
    /// <param name="log">Where unmodelled features are reported.</param>
    public AcpiPm(Func<long> clock, DeviceLog? log = null)
    {
        _clock = clock;
        _log = log;
    }

    /// <summary>Raised when the guest writes SLP_EN with the soft-off sleep type (S5).</summary>
    public event Action? PowerOffRequested;

    /// <summary>Raised after a write that may move <see cref="NextEventTime"/>.</summary>
    public event Action? ScheduleChanged;

    /// <summary>Raised when the SCI level changes.</summary>
    public event Action<bool>? SciChanged;

    /// <summary>The SCI output level.</summary>
    public bool Sci => _sci;

    /// <summary>The PM1 status register.</summary>
    public ushort Status
    {
        get
        {
            Sync(_clock());
            return _status;
        }
    }

    /// <summary>The PM timer's 24-bit count at simulated time <paramref name="ns"/>.</summary>
    public static uint TimerValue(long ns) => (uint)(Tick(ns) & ((1 << TimerBits) - 1));

    /// <summary>The simulated time of the next TMR_STS event (bit 23 of the count toggling) when it can raise the SCI, or null.</summary>
    public long? NextEventTime
    {
        get
        {
            if ((_enable & TmrSts) == 0 || (_status & TmrSts) != 0) return null;
            long next = ((_syncedTick >> (TimerBits - 1)) + 1) << (TimerBits - 1);
            return TimeOfTick(next);
        }
    }

    /// <summary>Claims the PM1a event and control blocks and the PM timer (0x600–0x60B) on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(BasePort, 12, this);

    /// <summary>Brings TMR_STS up to simulated time <paramref name="ns"/> (called as the platform advances).</summary>
    public void AdvanceTo(long ns)
    {
        Sync(ns);
        UpdateSci();
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        long now = _clock();
        Sync(now);
        int offset = port - BasePort;
        uint value = offset switch
        {
            >= 8 => TimerValue(now) >> (8 * (offset - 8)),
            >= 4 => (uint)(ushort)(_control & ~SlpEn) >> (8 * (offset - 4)), // SLP_EN and GBL_RLS read 0
            _ => (uint)(_status | (_enable << 16)) >> (8 * offset),
        };
        if (offset is 6 or 7) value = 0; // 0x606–0x607: reserved in the PIIX4 block
        UpdateSci();
        return value;
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        Sync(_clock());
        int offset = port - BasePort;
        // A narrower or misaligned access touches the same bytes of the 32-bit view of the pair it falls in.
        for (int i = 0; i < size && offset + i < 12; i++) WriteByte(offset + i, (byte)(value >> (8 * i)));
        UpdateSci();
        ScheduleChanged?.Invoke();
    }

    private void WriteByte(int offset, byte b)
    {
        switch (offset)
        {
            case 0 or 1:
                // PM1_STS: write 1 to clear (ACPI §4.8.3.1.1).
                _status &= (ushort)~((b << (8 * offset)) & StatusBits);
                break;
            case 2 or 3:
            {
                int shift = 8 * (offset - 2);
                ushort written = (ushort)((_enable & ~(0xFF << shift)) | (b << shift));
                if ((written & ~EnableBits) != 0) _log?.Unmodelled(Name, $"PM1_EN reserved bits 0x{written & ~EnableBits:X4}");
                _enable = (ushort)(written & EnableBits);
                if ((_enable & (PwrBtnSts | SlpBtnSts | RtcSts)) != 0)
                    _log?.Unmodelled(Name, "power/sleep button and RTC wake events (never raised)");
                break;
            }
            case 4 or 5:
            {
                int shift = 8 * (offset - 4);
                ushort written = (ushort)((_control & ~(0xFF << shift)) | (b << shift));
                if (offset == 4 && (b & GblRls) != 0) _log?.Unmodelled(Name, "GBL_RLS (there is no SMI handler to take the global lock)");
                _control = (ushort)((written & (BmRld | SlpTypMask)) | SciEn);
                if (offset == 5 && (written & SlpEn) != 0) Sleep((written & SlpTypMask) >> 10);
                break;
            }
            case >= 8:
                _log?.Unmodelled(Name, "write to the read-only PM timer");
                break;
        }
    }

    private void Sleep(int type)
    {
        if (type == SoftOffSleepType)
        {
            PowerOffRequested?.Invoke();
            return;
        }

        _log?.Unmodelled(Name, $"sleep type {type} (only {SoftOffSleepType}, soft off, is modelled; the machine keeps running)");
    }

    private void Sync(long ns)
    {
        // Before the next change of bit 23 nothing here can change (the count itself is computed from the clock when
        // read), and the platform advances the PM block at every port access: skip the tick arithmetic until then.
        if (ns < _toggleAt) return;
        long tick = Tick(ns);
        if (tick <= _syncedTick) return;
        // TMR_STS is set each time bit 23 of the counter changes (ACPI §4.8.3.1.1, Table 4.16).
        if (tick >> (TimerBits - 1) != _syncedTick >> (TimerBits - 1)) _status |= TmrSts;
        _syncedTick = tick;
        _toggleAt = TimeOfTick(((tick >> (TimerBits - 1)) + 1) << (TimerBits - 1));
    }

    private void UpdateSci()
    {
        bool level = (_status & _enable) != 0 && (_control & SciEn) != 0;
        if (level == _sci) return;
        _sci = level;
        SciChanged?.Invoke(level);
    }

    private static long Tick(long ns) => (ns / 1_000_000_000 * TimerFrequencyHz) + (ns % 1_000_000_000 * TimerFrequencyHz / 1_000_000_000);

    private static long TimeOfTick(long tick) => (long)(((Int128)tick * 1_000_000_000 + TimerFrequencyHz - 1) / TimerFrequencyHz);
}
