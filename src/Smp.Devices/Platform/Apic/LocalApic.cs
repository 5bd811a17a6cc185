using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Platform.Actors;

namespace Smp.Devices.Platform.Apic;

/// <summary>
/// One CPU's local APIC (SDM Vol. 3A chapter 10): the xAPIC register page (attach as the CPU's
/// <see cref="CpuCore.LocalApicMmio"/>, so each CPU sees its own at its APIC base), the x2APIC MSRs and
/// CR8 (<see cref="ILocalApicRegisters"/>), and the CPU's maskable-interrupt source (<see cref="IInterruptSource"/>).
/// Version 0x60015 (integrated APIC version 15H, max LVT entry 6: CMCI, timer, thermal, performance, LINT0, LINT1,
/// error) as the modelled Intel processor reports; the CMCI entry matches IA32_MCG_CAP.MCG_CMCI_P. The owner (the CPU actor) wires the
/// outputs: <see cref="IpiSent"/> to the APIC bus (self IPIs are accepted at once, see <see cref="SelfIpiAccepted"/>), <see cref="LevelEoi"/> to the I/O APIC,
/// <see cref="RoutingChanged"/> (ID/LDR/DFR/TPR/enable) to the bus, <see cref="NmiRequested"/> to the core.
/// </summary>
/// <remarks>
/// The timer runs on simulated time read from <see cref="Clock"/> (nanoseconds; one timer tick is one
/// nanosecond times the divide value, QEMU's 1 GHz APIC clock); the owner calls <see cref="PollTimer"/> at
/// quantum boundaries and wakes the CPU at <see cref="TimerDeadline"/>. In TSC-deadline mode the core routes
/// IA32_TSC_DEADLINE here; a deadline already reached fires during the WRMSR itself.
/// </remarks>
public sealed partial class LocalApic : IMmioDevice, ILocalApicRegisters, IInterruptSource
{
    /// <summary>The version register: version 15H, max LVT entry 6 (bits 23:16); no EOI-broadcast suppression (bit 24).</summary>
    public const uint VersionValue = 0x0006_0015;

    private const uint LvtMasked = 1u << 16;
    private const int LvtCmci = 0, LvtTimer = 1, LvtThermal = 2, LvtPerf = 3, LvtLint0 = 4, LvtLint1 = 5, LvtError = 6;

    // ESR bits (SDM Vol. 3A Figure 10-9).
    private const uint EsrSendIllegalVector = 1u << 5, EsrReceiveIllegalVector = 1u << 6;

    private readonly uint[] _lvt = new uint[7];
    private readonly ulong[] _irr = new ulong[4], _isr = new ulong[4], _tmr = new ulong[4];
    private readonly uint _initialId;
    private uint _id, _tpr, _ldr, _dfr, _svr, _esr, _esrPending, _icrLow, _icrHigh;
    private bool _hwEnabled = true, _x2;
    private bool _lint0Level, _lint1Level;

    /// <summary>Creates the APIC with initial APIC ID <paramref name="apicId"/> in its power-up state.</summary>
    /// <param name="apicId">The initial APIC ID (also the x2APIC ID).</param>
    /// <param name="clock">Simulated time in nanoseconds (the owning CPU's clock).</param>
    public LocalApic(int apicId, Func<long> clock)
    {
        _initialId = (uint)apicId;
        _id = (uint)apicId;
        Clock = clock;
        PowerUpState();
    }

    /// <summary>Simulated time in nanoseconds, for the timer.</summary>
    public Func<long> Clock { get; set; }

    /// <summary>The CPU to notify when an interrupt may have become deliverable (EOI, TPR, new IRR bit).</summary>
    public CpuCore? Core { get; set; }

    /// <summary>The PIC behind LINT0 (BSP only), consulted in ExtINT mode and while the APIC is hardware-disabled.</summary>
    public IExtIntSource? ExtIntSource { get; set; }

    /// <summary>Raised for every ICR write that sends an IPI over the bus (interrupts to this APIC alone are accepted locally).</summary>
    public event Action<Ipi>? IpiSent;

    /// <summary>Raised when an IPI this APIC sent itself (self shorthand, its own ID, x2APIC SELF IPI) was accepted locally: mode and vector.</summary>
    public event Action<DeliveryMode, int>? SelfIpiAccepted;

    /// <summary>Raised by an EOI for a level-triggered vector (TMR bit set): the I/O APIC clears Remote IRR.</summary>
    public event Action<int>? LevelEoi;

    /// <summary>Raised when the ID, LDR, DFR, TPR, software or hardware enable, or x2APIC mode changed (the bus routes by them).</summary>
    public event Action? RoutingChanged;

    /// <summary>Raised when LINT0/LINT1 in NMI mode see a rising edge.</summary>
    public event Action? NmiRequested;

    /// <summary>The current APIC ID.</summary>
    public uint Id => _id;

    /// <summary>The logical destination register (xAPIC: bits 31:24 hold the logical ID).</summary>
    public uint Ldr => _ldr;

    /// <summary>The destination format register (bits 31:28: 1111 flat, 0000 cluster).</summary>
    public uint Dfr => _dfr;

    /// <summary>The task-priority register.</summary>
    public uint Tpr => _tpr;

    /// <summary>The processor-priority register (SDM Vol. 3A §10.8.3.1).</summary>
    public uint Ppr
    {
        get
        {
            int isrv = Highest(_isr);
            uint isrClass = isrv < 0 ? 0 : (uint)isrv & 0xF0;
            return (_tpr & 0xF0) >= isrClass ? _tpr & 0xFF : isrClass;
        }
    }

    /// <summary>True when SVR bit 8 (APIC software enable) is set.</summary>
    public bool SoftwareEnabled => (_svr & 0x100) != 0;

    /// <summary>True when IA32_APIC_BASE.EN is set.</summary>
    public bool HardwareEnabled => _hwEnabled;

    /// <summary>True in x2APIC mode.</summary>
    public bool X2ApicMode => _x2;

    /// <summary>The error-status register as software last latched it.</summary>
    public uint Esr => _esr;

    /// <summary>True when the IRR bit of <paramref name="vector"/> is set.</summary>
    public bool IsRequested(int vector) => Bit(_irr, vector);

    /// <summary>True when the ISR bit of <paramref name="vector"/> is set.</summary>
    public bool IsInService(int vector) => Bit(_isr, vector);

    /// <summary>
    /// Programs virtual-wire mode as PC firmware does at POST (MP spec §3.6.2.2): software enable with
    /// spurious vector 0xFF, LINT0 = ExtINT (the PIC), LINT1 = NMI.
    /// </summary>
    public void EnterVirtualWireMode()
    {
        _svr = 0x1FF;
        _lvt[LvtLint0] = 0x700;
        _lvt[LvtLint1] = 0x400;
        RoutingChanged?.Invoke();
    }

    /// <summary>
    /// INIT: every register returns to its power-up value except the APIC ID (SDM Vol. 3A §10.4.7.3), and the APIC
    /// stays in the mode it was in (xAPIC, x2APIC or disabled: §10.12.5.1; IA32_APIC_BASE is unchanged by INIT).
    /// </summary>
    public void InitReset()
    {
        PowerUpState();
        RoutingChanged?.Invoke();
    }

    /// <summary>Accepts a fixed-mode interrupt from the bus into the IRR (TMR = <paramref name="levelTriggered"/>).</summary>
    /// <param name="vector">The vector; 0–15 are illegal and set ESR bit 6 instead (SDM Vol. 3A §10.5.3).</param>
    /// <param name="levelTriggered">True for a level-triggered interrupt, whose EOI is broadcast to the I/O APIC.</param>
    public void AcceptInterrupt(int vector, bool levelTriggered)
    {
        if (!_hwEnabled) return;
        vector &= 0xFF;
        if (vector < 16)
        {
            RaiseError(EsrReceiveIllegalVector);
            return;
        }

        SetBit(_irr, vector, true);
        SetBit(_tmr, vector, levelTriggered);
        Core?.NotifyInterruptPending();
    }

    /// <summary>Drives the LINT0 pin (fixed mode: rising edge sets the IRR; NMI mode: NMI; ExtINT: polled through <see cref="ExtIntSource"/>).</summary>
    public void SetLint0(bool level) => SetLint(LvtLint0, ref _lint0Level, level);

    /// <summary>Drives the LINT1 pin (normally NMI mode).</summary>
    public void SetLint1(bool level) => SetLint(LvtLint1, ref _lint1Level, level);

    private void SetLint(int index, ref bool current, bool level)
    {
        bool rising = level && !current;
        current = level;
        uint lvt = _lvt[index];
        if (!_hwEnabled || (lvt & LvtMasked) != 0) { Core?.NotifyInterruptPending(); return; }
        switch ((DeliveryMode)((lvt >> 8) & 7))
        {
            case DeliveryMode.Nmi when rising: NmiRequested?.Invoke(); break;
            case DeliveryMode.Fixed when rising || ((lvt & (1u << 15)) != 0 && level): AcceptInterrupt((int)(lvt & 0xFF), (lvt & (1u << 15)) != 0); break;
            default: Core?.NotifyInterruptPending(); break;
        }
    }

    private void RaiseError(uint bit)
    {
        _esrPending |= bit;
        uint lvt = _lvt[LvtError];
        if ((lvt & LvtMasked) == 0 && (lvt & 0xFF) >= 16) AcceptInterrupt((int)(lvt & 0xFF), false);
    }

    private void PowerUpState()
    {
        // SDM Vol. 3A §10.12.5.1 / Table 10-6 power-up values: LVTs masked, DFR all ones, SVR 0xFF (disabled).
        for (int i = 0; i < _lvt.Length; i++) _lvt[i] = LvtMasked;
        Array.Clear(_irr);
        Array.Clear(_isr);
        Array.Clear(_tmr);
        _tpr = _ldr = _esr = _esrPending = _icrLow = _icrHigh = 0;
        _dfr = 0xFFFF_FFFF;
        _svr = 0xFF;
        _initialCount = _divideConfig = 0;
        _timerDeadline = -1;
        if (_x2) _ldr = X2ApicLdr(_id);
    }

    // SDM Vol. 3A §10.12.10.2: logical x2APIC ID = cluster (ID[19:4]) << 16 | 1 << ID[3:0].
    private static uint X2ApicLdr(uint id) => ((id >> 4) << 16) | (1u << (int)(id & 0xF));

    private static bool Bit(ulong[] bits, int v) => (bits[v >> 6] & (1UL << (v & 63))) != 0;

    private static void SetBit(ulong[] bits, int v, bool on)
    {
        if (on) bits[v >> 6] |= 1UL << (v & 63);
        else bits[v >> 6] &= ~(1UL << (v & 63));
    }

    private static int Highest(ulong[] bits)
    {
        for (int i = 3; i >= 0; i--)
            if (bits[i] != 0) return i * 64 + 63 - System.Numerics.BitOperations.LeadingZeroCount(bits[i]);
        return -1;
    }
}
