namespace Smp.Devices.Platform;

/// <summary>
/// A PS/2 (MF2) keyboard on the i8042's keyboard port, as far as its command protocol goes (IBM PS/2 Hardware
/// Interface Technical Reference, "Keyboard commands"): it acknowledges commands with FAh, answers reset (FFh) with
/// FAh AAh (BAT passed) and identify (F2h) with FAh ABh 83h, takes an argument after EDh, F3h and F0h, echoes EEh,
/// and asks for a resend (FEh) on anything else. No key is ever pressed: there is no host keyboard input.
/// </summary>
internal sealed class Ps2Keyboard
{
    private const byte Ack = 0xFA, BatPassed = 0xAA, Resend = 0xFE, Echo = 0xEE;

    private byte _pendingCommand;
    private byte _scanCodeSet = 2;
    private byte _lastSent = Ack;

    /// <summary>Whether scanning is enabled (F4h enables, F5h disables).</summary>
    public bool Scanning { get; private set; } = true;

    /// <summary>The LED state last set with EDh.</summary>
    public byte Leds { get; private set; }

    /// <summary>Takes a byte from the host and returns the keyboard's answer bytes, in order.</summary>
    public byte[] Receive(byte b)
    {
        byte[] answer = Answer(b);
        if (answer.Length > 0) _lastSent = answer[^1];
        return answer;
    }

    private byte[] Answer(byte b)
    {
        if (_pendingCommand != 0)
        {
            byte command = _pendingCommand;
            _pendingCommand = 0;
            switch (command)
            {
                case 0xED: Leds = (byte)(b & 7); return [Ack];
                case 0xF3: return [Ack]; // typematic rate/delay
                case 0xF0 when b == 0: return [Ack, _scanCodeSet];
                case 0xF0 when b is >= 1 and <= 3: _scanCodeSet = b; return [Ack];
                case 0xF0: return [Resend];
            }
        }

        switch (b)
        {
            case 0xFF:
                Reset();
                return [Ack, BatPassed];
            case 0xFE:
                return [_lastSent];
            case 0xF2:
                return [Ack, 0xAB, 0x83];
            case 0xF4:
                Scanning = true;
                return [Ack];
            case 0xF5:
                Reset();
                Scanning = false;
                return [Ack];
            case 0xF6:
                Reset();
                return [Ack];
            case >= 0xF7 and <= 0xFD:
                return [Ack]; // key type settings (set 3 only)
            case 0xED or 0xF3 or 0xF0:
                _pendingCommand = b;
                return [Ack];
            case 0xEE:
                return [Echo];
            default:
                return [Resend];
        }
    }

    private void Reset()
    {
        _pendingCommand = 0;
        _scanCodeSet = 2;
        Leds = 0;
        Scanning = true;
    }
}
