namespace Smp.Devices.Cpu;

// MOV to and from CR0, CR2, CR3, CR4, CR8 and the debug registers (SDM Vol. 2B "MOV—Move to/from
// Control Registers", "MOV—Move to/from Debug Registers"; Vol. 3A §2.5, §9.8.5, §17.2). The Try*
// methods check everything except CPL and return the fault to raise, so handlers and the platform
// (firmware set-up, tests) share one implementation.
public sealed partial class CpuCore
{
    /// <summary>CR0.PE.</summary>
    public const ulong Cr0Pe = 1UL << 0;
    /// <summary>CR0.MP.</summary>
    public const ulong Cr0Mp = 1UL << 1;
    /// <summary>CR0.EM.</summary>
    public const ulong Cr0Em = 1UL << 2;
    /// <summary>CR0.TS.</summary>
    public const ulong Cr0Ts = 1UL << 3;
    /// <summary>CR0.ET (hardwired to 1).</summary>
    public const ulong Cr0Et = 1UL << 4;
    /// <summary>CR0.NE.</summary>
    public const ulong Cr0Ne = 1UL << 5;
    /// <summary>CR0.WP.</summary>
    public const ulong Cr0Wp = 1UL << 16;
    /// <summary>CR0.AM.</summary>
    public const ulong Cr0Am = 1UL << 18;
    /// <summary>CR0.NW.</summary>
    public const ulong Cr0Nw = 1UL << 29;
    /// <summary>CR0.CD.</summary>
    public const ulong Cr0Cd = 1UL << 30;
    /// <summary>CR0.PG.</summary>
    public const ulong Cr0Pg = 1UL << 31;

    /// <summary>CR4.TSD: RDTSC/RDTSCP only at CPL 0.</summary>
    public const ulong Cr4Tsd = 1UL << 2;
    /// <summary>CR4.DE: debugging extensions (DR4/DR5 raise #UD).</summary>
    public const ulong Cr4De = 1UL << 3;
    /// <summary>CR4.PSE: 4 MiB pages with 32-bit paging.</summary>
    public const ulong Cr4Pse = 1UL << 4;
    /// <summary>CR4.PAE: physical address extension.</summary>
    public const ulong Cr4Pae = 1UL << 5;
    /// <summary>CR4.MCE: machine-check exception enable.</summary>
    public const ulong Cr4Mce = 1UL << 6;
    /// <summary>CR4.PGE: global pages.</summary>
    public const ulong Cr4Pge = 1UL << 7;
    /// <summary>CR4.PCE: RDPMC allowed at any CPL.</summary>
    public const ulong Cr4Pce = 1UL << 8;
    /// <summary>CR4.UMIP: SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) at CPL &gt; 0.</summary>
    public const ulong Cr4Umip = 1UL << 11;
    /// <summary>CR4.FSGSBASE: RDFSBASE, RDGSBASE, WRFSBASE and WRGSBASE are enabled.</summary>
    public const ulong Cr4Fsgsbase = 1UL << 16;
    /// <summary>CR4.SMEP: supervisor-mode execution prevention.</summary>
    public const ulong Cr4Smep = 1UL << 20;
    /// <summary>CR4.SMAP: supervisor-mode access prevention.</summary>
    public const ulong Cr4Smap = 1UL << 21;

    private const ulong Cr0Defined = Cr0Pe | Cr0Mp | Cr0Em | Cr0Ts | Cr0Et | Cr0Ne | Cr0Wp | Cr0Am | Cr0Nw | Cr0Cd | Cr0Pg;

    /// <summary>
    /// Writes CR0 as MOV to CR0 does at CPL 0. Returns false (nothing changed) when the instruction
    /// raises #GP(0). Activates or deactivates IA-32e mode (EFER.LMA), loads PAE PDPTEs, flushes
    /// the TLB and recomputes the mode as needed.
    /// </summary>
    public bool TryWriteCr0(ulong value)
    {
        // Bits 63:32 are reserved (#GP); reserved bits in 31:0 are ignored; ET is hardwired to 1 (SDM Vol. 3A §2.5).
        if ((value >> 32) != 0) return false;
        ulong v = (value & Cr0Defined) | Cr0Et;
        if ((v & Cr0Nw) != 0 && (v & Cr0Cd) == 0) return false;
        if ((v & Cr0Pg) != 0 && (v & Cr0Pe) == 0) return false;
        ulong old = Cr0;
        bool pgOn = (old & Cr0Pg) == 0 && (v & Cr0Pg) != 0;
        bool pgOff = (old & Cr0Pg) != 0 && (v & Cr0Pg) == 0;
        bool lme = (Efer & Msr.EferLme) != 0;
        bool pae = (Cr4 & Cr4Pae) != 0;
        // SDM Vol. 3A §9.8.5: activating IA-32e mode needs CR4.PAE = 1 and must not happen with CS.L = 1;
        // paging can be turned off only from compatibility mode (§9.8.5.4).
        if (pgOn && lme && (!pae || Segs[Seg.CS].Long)) return false;
        if (pgOff && LongModeActive && Is64) return false;
        // Entering PAE paging outside IA-32e mode loads the PDPTEs (SDM Vol. 3A §4.4.1).
        if (pgOn && pae && !lme && !TryLoadPdptes(Cr3)) return false;

        var before = Mode;
        Cr0 = v;
        if (pgOn && lme) Efer |= Msr.EferLma;
        if (pgOff) Efer &= ~Msr.EferLma;
        if (((old ^ v) & (Cr0Pg | Cr0Wp | Cr0Pe)) != 0) FlushTlb();
        UpdateMode();
        if (Mode != before) Observer?.ModeChanged(this, before, Mode);
        return true;
    }

    /// <summary>
    /// Writes CR3 as MOV to CR3 does: reserved bits above MAXPHYADDR raise #GP in IA-32e mode; with
    /// PAE paging outside IA-32e mode the PDPTEs are loaded (an invalid PDPTE raises #GP). Flushes the TLB.
    /// </summary>
    public bool TryWriteCr3(ulong value)
    {
        if (LongModeActive)
        {
            if ((value >> MaxPhysAddrBits) != 0) return false;
        }
        else value &= 0xFFFF_FFFFUL;
        if (PagingEnabled && (Cr4 & Cr4Pae) != 0 && !LongModeActive && !TryLoadPdptes(value)) return false;
        Cr3 = value;
        FlushTlb();
        return true;
    }

    /// <summary>
    /// Writes CR4 as MOV to CR4 does: bits for features CPUID does not report (<see cref="Cpuid.Cr4Supported"/>)
    /// raise #GP, as does clearing PAE while IA-32e mode is active. PAE/PGE/PSE/SMEP/SMAP changes flush the
    /// TLB and, under PAE paging outside IA-32e mode, PAE/PGE/PSE changes reload the PDPTEs.
    /// </summary>
    public bool TryWriteCr4(ulong value)
    {
        if ((value & ~Cpuid.Cr4Supported) != 0) return false;
        if (LongModeActive && (value & Cr4Pae) == 0) return false;
        ulong changed = Cr4 ^ value;
        const ulong pagingBits = Cr4Pse | Cr4Pae | Cr4Pge;
        if ((changed & pagingBits) != 0 && PagingEnabled && (value & Cr4Pae) != 0 && !LongModeActive && !TryLoadPdptes(Cr3))
            return false;
        Cr4 = value;
        if ((changed & (pagingBits | Cr4Smep | Cr4Smap)) != 0) FlushTlb();
        if ((changed & Cr4De) != 0) OnDebugRegistersChanged();
        return true;
    }

    /// <summary>Writes CR8 (64-bit mode only): bits 63:4 are reserved (#GP). The value goes to the local APIC's TPR when one is attached.</summary>
    public bool TryWriteCr8(ulong value)
    {
        if ((value & ~0xFUL) != 0) return false;
        if (LocalApicRegisters is { } apic) apic.Cr8 = value;
        Cr8 = value;
        RequestExit(); // a lower priority may unmask a pending interrupt
        return true;
    }

    /// <summary>Reads CR8: the local APIC's task-priority class when an APIC is attached, else <see cref="Cr8"/>.</summary>
    public ulong ReadCr8() => LocalApicRegisters is { } apic ? apic.Cr8 & 0xF : Cr8;

    /// <summary>
    /// Reads debug register <paramref name="n"/> (0–7) as MOV from DRn does; DR4/DR5 alias DR6/DR7
    /// when CR4.DE = 0. Returns the vector to raise (#UD for DR4/DR5 with CR4.DE = 1 or n &gt; 7), or -1.
    /// </summary>
    public int TryReadDr(int n, out ulong value)
    {
        value = 0;
        if (!ResolveDr(ref n)) return Vector.UD;
        value = n switch { 6 => Dr6, 7 => Dr7, _ => Dr[n] };
        return -1;
    }

    /// <summary>
    /// Writes debug register <paramref name="n"/> as MOV to DRn does. Returns the vector to raise
    /// (#UD for DR4/DR5 with CR4.DE = 1; #GP when bits 63:32 of DR6/DR7 are set), or -1 on success.
    /// Fixed bits are forced: DR6 bits 4–11 and 16–31 read 1, DR7 bit 10 reads 1 (SDM Vol. 3B §17.2.3–4).
    /// </summary>
    public int TryWriteDr(int n, ulong value)
    {
        if (!ResolveDr(ref n)) return Vector.UD;
        switch (n)
        {
            case 6:
                if ((value >> 32) != 0) return Vector.GP;
                Dr6 = (value & 0xE00F) | 0xFFFF_0FF0UL;
                break;
            case 7:
                if ((value >> 32) != 0) return Vector.GP;
                Dr7 = (value & 0xFFFF_23FFUL) | 0x400;
                break;
            default:
                Dr[n] = value;
                break;
        }
        OnDebugRegistersChanged();
        return -1;
    }

    // DR4/DR5 are aliases of DR6/DR7 unless CR4.DE = 1, when they are #UD (SDM Vol. 3B §17.2.2).
    private bool ResolveDr(ref int n)
    {
        if (n is 4 or 5)
        {
            if ((Cr4 & Cr4De) != 0) return false;
            n += 2;
        }
        return n is >= 0 and <= 7;
    }
}
