namespace Smp.Devices.Platform.Firmware;

// INT 15h (Ralf Brown's Interrupt List; fact sheet section E). Unsupported functions return CF = 1, AH = 86h.
public sealed partial class BiosServices
{
    /// <summary>'SMAP', the E820 signature in EDX/EAX.</summary>
    public const uint Smap = 0x534D_4150;

    private const byte Unsupported = 0x86;
    private const ulong OneMiB = 0x10_0000, SixteenMiB = 0x100_0000;
    private const uint E801LowLimitKiB = 0x3C00; // 15 MiB: 1 MiB–16 MiB

    private void SystemService(ref BiosRegisters r)
    {
        if ((ushort)r.Eax == 0xE820) { E820(ref r); return; }
        switch (Ax(r))
        {
            case 0xE801: E801(ref r); return;
            case 0x2400: SetA20(ref r, false); return;
            case 0x2401: SetA20(ref r, true); return;
            case 0x2402: Succeed(ref r); r.Al = A20Enabled ? (byte)1 : (byte)0; return;
            case 0x2403: Succeed(ref r); SetBx(ref r, 0); return; // neither the keyboard controller nor port 92h gate A20 here
        }
        switch (r.Ah)
        {
            case 0x88: // KiB of extended memory above 1 MiB; above 64 MiB real BIOSes (and SeaBIOS) report 63 MiB
                SetAx(ref r, (uint)Math.Min((_map.RamBelow4G - OneMiB) / 1024, 63 * 1024));
                r.Carry = false;
                return;
            case 0x86: Succeed(ref r); return; // wait: returns at once (simulated time moves only with instructions)
            default: Fail(ref r, Unsupported); return;
        }
    }

    // E820: EBX = continuation (entry index; 0 first), ECX = buffer size (≥ 20), ES:DI = buffer. Always returns the
    // 20-byte form (ECX = 20), as SeaBIOS does, even when 24 bytes were offered. EBX = next index, 0 after the last.
    private void E820(ref BiosRegisters r)
    {
        IReadOnlyList<E820Entry> map = _map.E820;
        if (r.Edx != Smap || r.Ebx >= (uint)map.Count || r.Ecx < E820Entry.Size) { Fail(ref r, Unsupported); return; }
        Span<byte> entry = stackalloc byte[E820Entry.Size];
        map[(int)r.Ebx].WriteTo(entry);
        WriteGuest(Linear(r.Es, r.Edi), entry);
        r.Eax = Smap;
        r.Ecx = E820Entry.Size;
        r.Ebx = r.Ebx + 1 == (uint)map.Count ? 0 : r.Ebx + 1;
        r.Carry = false;
    }

    // E801: AX = CX = KiB between 1 MiB and 16 MiB (at most 15 MiB), BX = DX = 64 KiB blocks from 16 MiB to the
    // end of RAM below 4 GiB (the CMOS 0x30/0x31 and 0x34/0x35 values QEMU writes).
    private void E801(ref BiosRegisters r)
    {
        ulong top = _map.RamBelow4G;
        uint low = (uint)Math.Min((top - OneMiB) / 1024, E801LowLimitKiB);
        uint high = top > SixteenMiB ? (uint)Math.Min((top - SixteenMiB) / 0x10000, 0xFFFF) : 0;
        SetAx(ref r, low); SetCx(ref r, low);
        SetBx(ref r, high); SetDx(ref r, high);
        r.Carry = false;
    }

    private void SetA20(ref BiosRegisters r, bool enabled)
    {
        if (A20Enabled != enabled)
        {
            A20Enabled = enabled;
            _a20Changed?.Invoke(enabled);
        }
        Succeed(ref r);
    }
}
