namespace Smp.Devices.Platform;

/// <summary>
/// A National Semiconductor 16550A UART (COM1 at 0x3F8 by default). Transmission is instant: a byte written
/// to THR goes straight to the sink, so LSR always shows THRE and TEMT. Received bytes wait in an unbounded
/// input queue (no overruns, deterministic). The interrupt output follows the 16550 priority scheme
/// (receiver line status &gt; received data &gt; THR empty &gt; modem status). As in QEMU, MCR.OUT2 does not
/// gate the interrupt line (on a real PC board OUT2 enables the IRQ driver; guests written for QEMU may not set it).
/// </summary>
public sealed class Uart16550 : IPortDevice
{
    /// <summary>COM1's base port.</summary>
    public const ushort Com1Base = 0x3F8;

    private enum Reg { RbrThrDll = 0, IerDlm = 1, IirFcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7 }

    // Register bits, named after the 16550A datasheet.
    private const byte IerRda = 0x01, IerThre = 0x02, IerRls = 0x04, IerMs = 0x08, IerValid = 0x0F;
    private const byte IirNoInterrupt = 0x01, IirRls = 0x06, IirRda = 0x04, IirThre = 0x02, IirMs = 0x00, IirFifoEnabled = 0xC0;
    private const byte FcrEnable = 0x01, FcrClearRx = 0x02, FcrClearTx = 0x04, FcrDma = 0x08, FcrTrigger = 0xC0;
    private const byte LcrDlab = 0x80, LcrBreak = 0x40;
    private const byte McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10, McrValid = 0x1F;
    private const byte LsrDr = 0x01, LsrOe = 0x02, LsrThre = 0x20, LsrTemt = 0x40;
    private const byte MsrCts = 0x10, MsrDsr = 0x20, MsrRi = 0x40, MsrDcd = 0x80;

    private readonly Action<byte> _sink;
    private readonly DeviceLog? _log;
    private readonly Queue<byte> _rx = new();
    private byte _ier, _lcr = 0x03, _mcr, _scr, _fcr, _lsrErrors;
    private ushort _divisor = 12; // 9600 baud from the 1.8432 MHz clock, a common firmware default
    private bool _thrInterrupt; // the THRE interrupt is pending until IIR is read or THR is written

    /// <summary>Creates a UART at <paramref name="basePort"/> whose transmitted bytes go to <paramref name="sink"/>.</summary>
    public Uart16550(Action<byte> sink, ushort basePort = Com1Base, DeviceLog? log = null)
    {
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        BasePort = basePort;
        _log = log;
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

    /// <summary>Bytes received but not yet read by the guest.</summary>
    public int PendingInput => _rx.Count;

    /// <summary>The UART's interrupt output (INTR): true while an enabled interrupt condition exists.</summary>
    public bool InterruptPending { get; private set; }

    /// <summary>Raised when <see cref="InterruptPending"/> changes, with the new level (wire it to IRQ4 on the PIC and I/O APIC).</summary>
    public event Action<bool>? InterruptChanged;

    /// <summary>Claims the eight ports from <see cref="BasePort"/> on <paramref name="bus"/>.</summary>
    public void AttachTo(PortBus bus) => bus.Register(BasePort, 8, this);

    /// <summary>Queues a byte as if it arrived on the serial line.</summary>
    public void Receive(byte value)
    {
        _rx.Enqueue(value);
        UpdateInterrupt();
    }

    /// <summary>Queues several received bytes.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) _rx.Enqueue(b);
        UpdateInterrupt();
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
                UpdateInterrupt();
                return data;
            case Reg.IerDlm:
                return dlab ? (byte)(_divisor >> 8) : _ier;
            case Reg.IirFcr:
            {
                byte iir = CurrentIir();
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
                if ((_mcr & McrLoop) != 0) _rx.Enqueue(v); // loopback: the transmitter feeds the receiver
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
                if ((v & FcrClearRx) != 0) _rx.Clear();
                if ((v & FcrDma) != 0) _log?.Unmodelled(Name, "FCR DMA mode select");
                if ((v & FcrTrigger) != 0 && (v & FcrEnable) != 0)
                    _log?.Unmodelled(Name, "FCR receiver trigger level (data is reported one byte at a time)");
                _fcr = (byte)(v & (FcrEnable | FcrTrigger));
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

    private byte CurrentIir()
    {
        if ((_ier & IerRls) != 0 && _lsrErrors != 0) return IirRls;
        if ((_ier & IerRda) != 0 && _rx.Count > 0) return IirRda;
        if ((_ier & IerThre) != 0 && _thrInterrupt) return IirThre;
        return IirNoInterrupt;
    }

    private void UpdateInterrupt()
    {
        bool pending = CurrentIir() != IirNoInterrupt;
        if (pending == InterruptPending) return;
        InterruptPending = pending;
        InterruptChanged?.Invoke(pending);
    }
}
