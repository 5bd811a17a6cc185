namespace Smp.Devices.Platform.Firmware;

// INT 10h (teletype and the queries boot loaders make), INT 16h (no keyboard) and INT 1Ah (clock), after Ralf Brown's
// Interrupt List. The screen is 80×25 colour text mode 3 in the VGA text buffer, its cursor in the BIOS data area.
public sealed partial class BiosServices
{
    private const int Columns = 80, Rows = 25;
    private const ulong VgaTextBuffer = 0xB8000; // page 0 of colour text mode 3
    private const long PitHz = 1_193_182, TicksPerDay = 0x1800B0;
    private long _tickAdjust; // set by INT 1Ah AH=01h: ticks added to the RTC's time of day

    private void Video(ref BiosRegisters r)
    {
        switch (r.Ah)
        {
            case 0x0E: Teletype(r.Al); break;
            case 0x02: // set cursor position: DH row, DL column
                _memory.Write(BiosDataArea.CursorPosition, 2, (ushort)r.Edx & 0xFFFFu);
                break;
            case 0x03: // cursor position and shape: DH row, DL column, CX start/end scan lines
                SetDx(ref r, (uint)_memory.Read(BiosDataArea.CursorPosition, 2) & 0xFFFF);
                SetCx(ref r, 0x0607);
                break;
            case 0x0F: // current mode: AL mode, AH columns, BH page
                SetAx(ref r, (Columns << 8) | (uint)_memory.Read(BiosDataArea.VideoMode, 1));
                r.Ebx &= 0xFFFF_00FF;
                break;
            case 0x00: // set mode: remember it, cursor home
                _memory.Write(BiosDataArea.VideoMode, 1, r.Al & 0x7Fu);
                _memory.Write(BiosDataArea.CursorPosition, 2, 0);
                break;
            case 0x13: WriteString(ref r); break;
            default: break; // other functions: accepted, registers unchanged
        }
    }

    // AH=13h: CX characters at ES:BP (interleaved with attributes when AL bit 1 is set).
    private void WriteString(ref BiosRegisters r)
    {
        ulong text = Linear(r.Es, r.Ebp);
        int step = (r.Al & 2) != 0 ? 2 : 1;
        for (int i = 0; i < (ushort)r.Ecx; i++) Teletype((byte)_memory.Read(text + (ulong)(i * step), 1));
    }

    // AH=0Eh on text page 0, as a PC BIOS does it: the character goes into the VGA text buffer at the cursor (the
    // cell keeps its attribute), CR/LF/BS/BEL move the cursor, and a line feed or a wrap on the last row scrolls the
    // screen up one line with a blank (attribute 07h) bottom row. The same bytes go to the host's screen view.
    private void Teletype(byte c)
    {
        _screen(c);
        int column = (int)_memory.Read(BiosDataArea.CursorPosition, 1), row = (int)_memory.Read(BiosDataArea.CursorPosition + 1, 1);
        switch (c)
        {
            case (byte)'\r': column = 0; break;
            case (byte)'\n': row++; break;
            case 0x08: if (column > 0) column--; break;
            case 0x07: break;
            default:
                _memory.Write(VgaTextCell(row, column), 1, c);
                if (++column == Columns) { column = 0; row++; }
                break;
        }

        if (row >= Rows)
        {
            ScrollUp();
            row = Rows - 1;
        }

        _memory.Write(BiosDataArea.CursorPosition, 1, (uint)column);
        _memory.Write(BiosDataArea.CursorPosition + 1, 1, (uint)row);
    }

    private static ulong VgaTextCell(int row, int column) => VgaTextBuffer + (ulong)((row * Columns + column) * 2);

    private void ScrollUp()
    {
        for (ulong offset = 0; offset < (Rows - 1) * Columns * 2; offset += 8)
            _memory.Write(VgaTextBuffer + offset, 8, _memory.Read(VgaTextBuffer + Columns * 2 + offset, 8));
        for (int column = 0; column < Columns; column++)
            _memory.Write(VgaTextCell(Rows - 1, column), 2, 0x0720);
    }

    // No keyboard: reads return AX = 0 at once instead of blocking, status calls report an empty buffer (ZF = 1),
    // shift flags are 0.
    private static void Keyboard(ref BiosRegisters r)
    {
        switch (r.Ah)
        {
            case 0x00: case 0x10: SetAx(ref r, 0); break;
            case 0x01: case 0x11: r.Flags |= ZeroFlag; SetAx(ref r, 0); break;
            case 0x02: case 0x12: SetAx(ref r, 0); break;
            default: break;
        }
    }

    private void Time(ref BiosRegisters r)
    {
        DateTime now = _rtc.CurrentTime;
        switch (r.Ah)
        {
            case 0x00: // CX:DX ticks since midnight, AL = midnight passed since last read
                uint ticks = TicksSinceMidnight();
                SetCx(ref r, ticks >> 16); SetDx(ref r, ticks);
                r.Al = (byte)_memory.Read(BiosDataArea.TimerRollover, 1);
                _memory.Write(BiosDataArea.TimerRollover, 1, 0);
                r.Carry = false;
                break;
            case 0x01: // set ticks from CX:DX
                _tickAdjust = ((long)(((r.Ecx & 0xFFFF) << 16) | (r.Edx & 0xFFFF)) - RtcTicks(now)) % TicksPerDay;
                _memory.Write(BiosDataArea.TimerTicks, 4, TicksSinceMidnight());
                r.Carry = false;
                break;
            case 0x02: // RTC time: CH hours, CL minutes, DH seconds (BCD), DL = 0 (no daylight saving)
                SetCx(ref r, (uint)(Bcd(now.Hour) << 8 | Bcd(now.Minute)));
                SetDx(ref r, (uint)(Bcd(now.Second) << 8));
                r.Ah = 0; r.Carry = false;
                break;
            case 0x04: // RTC date: CH century, CL year, DH month, DL day (BCD)
                SetCx(ref r, (uint)(Bcd(now.Year / 100) << 8 | Bcd(now.Year % 100)));
                SetDx(ref r, (uint)(Bcd(now.Month) << 8 | Bcd(now.Day)));
                r.Ah = 0; r.Carry = false;
                break;
            case 0x03: case 0x05: Succeed(ref r); break; // setting the RTC is accepted and ignored
            default: r.Carry = true; break;
        }
    }

    // Ticks since midnight from the RTC's simulated time of day at the PIT's 1193182 / 65536 Hz.
    private uint TicksSinceMidnight() => (uint)(((RtcTicks(_rtc.CurrentTime) + _tickAdjust) % TicksPerDay + TicksPerDay) % TicksPerDay);

    private static long RtcTicks(DateTime now) => now.TimeOfDay.Ticks * PitHz / (65536L * TimeSpan.TicksPerSecond);

    private static int Bcd(int v) => ((v / 10) << 4) | (v % 10);
}
