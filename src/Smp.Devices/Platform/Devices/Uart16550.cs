namespace Smp.Devices.Platform;

/// <summary>
/// A National Semiconductor 16550A UART (COM1 at 0x3F8 by default). Transmission is instant: a byte written
/// to THR goes straight to the sink, so LSR always shows THRE and TEMT. Received bytes wait on the line (an
/// unbounded, flow-controlled input queue: no overruns, deterministic) and enter the receiver as soon as it has
/// room: the 16-byte RX FIFO when FCR bit 0 enables the FIFOs, else the one-byte RBR. The interrupt output follows
/// the 16550A's priority scheme (datasheet, "Interrupt Identification Register"): receiver line status &gt;
/// received data available (FIFO at or above the FCR trigger level of 1, 4, 8 or 14 bytes) or character time-out
/// (FIFO below the trigger level, nothing received or read for four character times at the programmed baud rate and
/// frame) &gt; THR empty &gt; modem status. As in QEMU, MCR.OUT2 does not gate the interrupt line (on a real PC
/// board OUT2 enables the IRQ driver; guests written for QEMU may not set it).
/// </summary>
public sealed class Uart16550 : IPortDevice
{
    /// <summary>COM1's base port.</summary>
    public const ushort Com1Base = 0x3F8;

    private enum Reg { RbrThrDll = 0, IerDlm = 1, IirFcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7 }

    // Register bits, named after the 16550A datasheet.
    private const byte IerRda = 0x01, IerThre = 0x02, IerRls = 0x04, IerMs = 0x08, IerValid = 0x0F;
    private const byte IirNoInterrupt = 0x01, IirRls = 0x06, IirRda = 0x04, IirTimeout = 0x0C, IirThre = 0x02, IirMs = 0x00, IirFifoEnabled = 0xC0;
    private const int FifoDepth = 16;
    private const byte FcrEnable = 0x01, FcrClearRx = 0x02, FcrClearTx = 0x04, FcrDma = 0x08, FcrTrigger = 0xC0;
    private const byte LcrDlab = 0x80, LcrBreak = 0x40;
    private const byte McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10, McrValid = 0x1F;
    private const byte LsrDr = 0x01, LsrOe = 0x02, LsrThre = 0x20, LsrTemt = 0x40;
    private const byte MsrCts = 0x10, MsrDsr = 0x20, MsrRi = 0x40, MsrDcd = 0x80;

    private readonly Action<byte> _sink;
    private readonly DeviceLog? _log;
    private readonly Queue<byte> _line = new(); // received bytes still on the line
    private readonly Queue<byte> _rx = new();   // the RX FIFO (or RBR)
    private readonly Func<long>? _clock;
    private long? _reportedEvent;
    private long _rxActivityAt; // the last time a byte entered or left the receiver (character time-out)
    private byte _ier, _lcr = 0x03, _mcr, _scr, _fcr, _lsrErrors;
    private ushort _divisor = 12; // 9600 baud from the 1.8432 MHz clock, a common firmware default
    private bool _thrInterrupt; // the THRE interrupt is pending until IIR is read or THR is written

    /// <summary>Creates a UART at <paramref name="basePort"/> whose transmitted bytes go to <paramref name="sink"/>.</summary>
    /// <param name="sink">Where transmitted bytes go.</param>
    /// <param name="basePort">The first of its eight ports.</param>
    /// <param name="log">Where unmodelled features are reported.</param>
    /// <param name="clock">The simulated time (ns) of each access, for the character time-out; without it time stands still.</param>
    public Uart16550(Action<byte> sink, ushort basePort = Com1Base, DeviceLog? log = null, Func<long>? clock = null)
    {
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        BasePort = basePort;
        _log = log;
        _clock = clock;
    }

    /// <summary>Creates a UART whose transmitted bytes are written (and flushed) to <paramref name="stream"/>.</summary>
    public Uart16550(Stream stream, ushort basePort = Com1Base, DeviceLog? log = null)
        : this(b => { stream.WriteByte(b); stream.Flush(); }, basePort, log) { }

    /// <summary>The first of the eight ports the UART occupies.</summary>
    public ushort BasePort { get; }

    /// <summary>The divisor latch (DLM:DLL); the baud rate is 115200 / divisor.</summary>
    public ushort Divisor => _divisor;

    /// <summary>The line control register (word length, stop bits, parity, DLAB).</summary>
    public byte LineControl => _lcr;

    /// <summary>The modem control register.</summary>
    public byte ModemControl => _mcr;

    /// <summary>Bytes received but not yet read by the guest (in the receiver and still on the line).</summary>
    public int PendingInput => _rx.Count + _line.Count;

    /// <summary>The simulated time at which a character time-out interrupt will be raised, or null.</summary>
    public long? NextEventTime =>
        (_ier & IerRda) != 0 && FifoEnabled && _rx.Count > 0 && _rx.Count < TriggerLevel && !InterruptPending ? _rxActivityAt + TimeoutNs : null;

    /// <summary>Raised after an access that may move <see cref="NextEventTime"/> (received data, IER or FCR changes, an RBR read).</summary>
    public event Action? ScheduleChanged;

    /// <summary>Brings the character time-out up to simulated time <paramref name="ns"/>.</summary>
    public void AdvanceTo(long ns) => UpdateInterrupt(ns);

    private bool FifoEnabled => (_fcr & FcrEnable) != 0;

    // FCR bits 7:6 select the RX trigger level (16550A datasheet, FIFO control register).
    private int TriggerLevel => FifoEnabled ? ((_fcr >> 6) switch { 0 => 1, 1 => 4, 2 => 8, _ => 14 }) : 1;

    // Four character times of the programmed frame: start bit, 5–8 data bits, parity, 1 or 1.5/2 stop bits, at 115200/divisor baud.
    private long TimeoutNs
    {
        get
        {
            int bits = 1 + 5 + (_lcr & 3) + ((_lcr & 0x08) != 0 ? 1 : 0) + ((_lcr & 0x04) != 0 ? 2 : 1);
            return 4L * bits * Math.Max((ushort)1, _divisor) * 1_000_000_000L / 115_200;
        }
    }

    private long Now => _clock?.Invoke() ?? 0;

    /// <summary>The UART's interrupt output (INTR): true while an enabled interrupt condition exists.</summary>
    public bool InterruptPending { get; private set; }

    /// <summary>Raised when <see cref="InterruptPending"/> changes, with the new level (wire it to IRQ4 on the PIC and I/O APIC).</summary>
    public event Action<bool>? InterruptChanged;

    /// <summary>Claims the eight ports from <see cref="BasePort"/> on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(BasePort, 8, this);

    /// <summary>Queues a byte as if it arrived on the serial line.</summary>
    public void Receive(byte value)
    {
        _line.Enqueue(value);
        FillReceiver();
        UpdateInterrupt();
    }

    /// <summary>Queues several received bytes.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) _line.Enqueue(b);
        FillReceiver();
        UpdateInterrupt();
    }

    // Bytes on the line enter the receiver while it has room.
    private void FillReceiver()
    {
        int capacity = FifoEnabled ? FifoDepth : 1;
        if (_line.Count == 0 || _rx.Count >= capacity) return;
        while (_line.Count > 0 && _rx.Count < capacity) _rx.Enqueue(_line.Dequeue());
        _rxActivityAt = Now;
    }

    /// <inheritdoc />
    public uint In(ushort port, int size)
    {
        if (size != 1) _log?.Unmodelled(Name, $"{size}-byte IN from 0x{port:X4} (only the addressed byte is returned)");
        bool dlab = (_lcr & LcrDlab) != 0;
        switch ((Reg)((port - BasePort) & 7))
        {
            case Reg.RbrThrDll:
                if (dlab) return (byte)_divisor;
                byte data = _rx.Count > 0 ? _rx.Dequeue() : (byte)0;
                _rxActivityAt = Now; // reading the FIFO restarts the character time-out
                FillReceiver();
                UpdateInterrupt();
                return data;
            case Reg.IerDlm:
                return dlab ? (byte)(_divisor >> 8) : _ier;
            case Reg.IirFcr:
            {
                byte iir = CurrentIir(Now);
                // Reading IIR while it reports THRE clears that interrupt (16550A datasheet, table of interrupt reset functions).
                if ((iir & 0x0F) == IirThre) { _thrInterrupt = false; UpdateInterrupt(); }
                return (byte)(iir | ((_fcr & FcrEnable) != 0 ? IirFifoEnabled : 0));
            }
            case Reg.Lcr: return _lcr;
            case Reg.Mcr: return _mcr;
            case Reg.Lsr:
            {
                byte lsr = (byte)(LsrThre | LsrTemt | _lsrErrors | (_rx.Count > 0 ? LsrDr : 0));
                _lsrErrors = 0; // error bits clear on read
                UpdateInterrupt();
                return lsr;
            }
            case Reg.Msr: return ModemStatus();
            default: return _scr;
        }
    }

    /// <inheritdoc />
    public void Out(ushort port, int size, uint value)
    {
        byte v = (byte)value;
        bool dlab = (_lcr & LcrDlab) != 0;
        switch ((Reg)((port - BasePort) & 7))
        {
            case Reg.RbrThrDll:
                if (dlab) { _divisor = (ushort)((_divisor & 0xFF00) | v); break; }
                if ((_mcr & McrLoop) != 0) { _line.Enqueue(v); FillReceiver(); } // loopback: the transmitter feeds the receiver
                else _sink(v);
                _thrInterrupt = true; // transmission is instant, so THR is empty again at once
                UpdateInterrupt();
                break;
            case Reg.IerDlm:
                if (dlab) { _divisor = (ushort)((_divisor & 0x00FF) | (v << 8)); break; }
                if ((v & ~IerValid) != 0) _log?.Unmodelled(Name, $"IER bits 0x{v & ~IerValid:X2} (not on a 16550A)");
                if ((v & IerMs) != 0) _log?.Unmodelled(Name, "modem status interrupt enabled (modem lines never change)");
                // Enabling ETBEI while THR is empty raises the THRE interrupt at once, as on the 16550A.
                if ((v & IerThre) != 0 && (_ier & IerThre) == 0) _thrInterrupt = true;
                _ier = (byte)(v & IerValid);
                UpdateInterrupt();
                break;
            case Reg.IirFcr:
                // Changing the FIFO enable clears both FIFOs; bit 1 clears the receiver's (the transmitter's is always empty).
                if ((v & FcrClearRx) != 0 || ((v ^ _fcr) & FcrEnable) != 0) _rx.Clear();
                if ((v & FcrDma) != 0) _log?.Unmodelled(Name, "FCR DMA mode select");
                _fcr = (byte)(v & (FcrEnable | FcrTrigger));
                FillReceiver();
                UpdateInterrupt();
                break;
            case Reg.Lcr:
                if ((v & LcrBreak) != 0) _log?.Unmodelled(Name, "LCR break control");
                _lcr = v;
                break;
            case Reg.Mcr:
                if ((v & ~McrValid) != 0) _log?.Unmodelled(Name, $"MCR bits 0x{v & ~McrValid:X2}");
                _mcr = (byte)(v & McrValid);
                break;
            case Reg.Lsr:
                _log?.Unmodelled(Name, "write to LSR (factory test only)");
                break;
            case Reg.Msr:
                _log?.Unmodelled(Name, "write to MSR (read-only)");
                break;
            default:
                _scr = v;
                break;
        }
    }

    private const string Name = "uart16550";

    private byte ModemStatus()
    {
        // In loopback the modem outputs feed the modem inputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.
        // Linux's 8250 autoconfig relies on this (it expects 0x90 after writing MCR = LOOP|OUT2|RTS).
        if ((_mcr & McrLoop) != 0)
            return (byte)(((_mcr & McrRts) != 0 ? MsrCts : 0) | ((_mcr & McrDtr) != 0 ? MsrDsr : 0)
                        | ((_mcr & McrOut1) != 0 ? MsrRi : 0) | ((_mcr & McrOut2) != 0 ? MsrDcd : 0));
        return MsrDcd | MsrDsr | MsrCts; // a connected, ready terminal
    }

    private byte CurrentIir(long now)
    {
        if ((_ier & IerRls) != 0 && _lsrErrors != 0) return IirRls;
        if ((_ier & IerRda) != 0 && _rx.Count >= TriggerLevel) return IirRda;
        if ((_ier & IerRda) != 0 && FifoEnabled && _rx.Count > 0 && now - _rxActivityAt >= TimeoutNs) return IirTimeout;
        if ((_ier & IerThre) != 0 && _thrInterrupt) return IirThre;
        return IirNoInterrupt;
    }

    private void UpdateInterrupt() => UpdateInterrupt(Now);

    private void UpdateInterrupt(long now)
    {
        bool pending = CurrentIir(now) != IirNoInterrupt;
        if (pending != InterruptPending)
        {
            InterruptPending = pending;
            InterruptChanged?.Invoke(pending);
        }

        if (NextEventTime != _reportedEvent)
        {
            _reportedEvent = NextEventTime;
            ScheduleChanged?.Invoke();
        }
    }
}
