namespace Smp.Devices.Cpu;

// Linear-to-physical translation (SDM Vol. 3A chapter 4): no paging, 32-bit paging (with 4 MiB
// pages under CR4.PSE), PAE paging (PDPTEs loaded with CR3) and 4-level paging (with 2 MiB and
// 1 GiB pages), with accessed/dirty bits, U/S, R/W, NX, CR0.WP, SMEP and SMAP, and #PF error codes (§4.7).
public sealed partial class CpuCore
{
    /// <summary>Physical address width reported by CPUID.80000008H:EAX[7:0] (MAXPHYADDR, 39 on the modelled part).</summary>
    public const int MaxPhysAddrBits = 39;

    private const ulong PteP = 1, PteRw = 2, PteUs = 4, PteA = 0x20, PteD = 0x40, PtePs = 0x80;
    private const ulong PteNx = 1UL << 63;
    private const ulong PhysAddrMask = ((1UL << MaxPhysAddrBits) - 1) & ~0xFFFUL;

    private readonly ulong[] _pdpte = new ulong[4];

    // Set by a walk that let a supervisor-mode data access reach a user-mode page while CR4.SMAP = 1 (EFLAGS.AC
    // allowed it): such a translation is not cached, so that every later access is checked against AC again.
    private bool _smapSensitiveTranslation;

    /// <summary>Bit 20 of physical addresses when the A20 gate is enabled (the default), else 0.</summary>
    public ulong A20Mask = ulong.MaxValue;

    /// <summary>
    /// Loads the four PAE PDPTEs from CR3, as MOV to CR3 (and CR0/CR4 changes entering PAE paging)
    /// do outside IA-32e mode (SDM Vol. 3A §4.4.1). Returns false when a present PDPTE sets
    /// reserved bits; the caller then raises #GP(0).
    /// </summary>
    public bool LoadPdptes() => TryLoadPdptes(Cr3);

    /// <summary>
    /// Loads the PAE PDPTEs from the table at <paramref name="cr3"/> only if all four are valid, so
    /// that a failing MOV to CR3/CR0/CR4 (#GP) leaves the current PDPTE registers untouched.
    /// </summary>
    internal bool TryLoadPdptes(ulong cr3)
    {
        ulong baseAddr = cr3 & 0xFFFF_FFE0UL;
        Span<ulong> e = stackalloc ulong[4];
        for (int i = 0; i < 4; i++)
        {
            e[i] = Memory.Read(baseAddr + (ulong)i * 8, 8);
            if ((e[i] & PteP) != 0 && (e[i] & (0x1E6UL | ~((1UL << MaxPhysAddrBits) - 1))) != 0) return false;
        }
        e.CopyTo(_pdpte);
        return true;
    }

    /// <summary>
    /// Translates a linear address for an access of <paramref name="kind"/>, setting accessed and
    /// dirty bits, or raises #PF with CR2 and the error code.
    /// </summary>
    public ulong Translate(ulong la, AccessKind kind)
    {
        _smapSensitiveTranslation = false;
        if (!PagingEnabled) return la & A20Mask & (LongModeActive ? ulong.MaxValue : 0xFFFF_FFFFUL);
        bool write = (kind & AccessKind.Write) != 0;
        bool fetch = (kind & AccessKind.Execute) != 0;
        bool user = Cpl == 3 && (kind & AccessKind.System) == 0;
        bool nxe = (Efer & 0x800) != 0;
        ulong reservedNx = nxe ? 0 : PteNx;
        // I/D reports an instruction fetch when execute-disable (PAE) or SMEP could have caused the fault (§4.7).
        bool reportFetch = fetch && ((nxe && (Cr4 & Cr4Pae) != 0) || (Cr4 & Cr4Smep) != 0);
        uint err = (write ? 2u : 0) | (user ? 4u : 0) | (reportFetch ? 16u : 0);

        Span<ulong> entryAddr = stackalloc ulong[4];
        int levels = 0;
        bool writable = true, userOk = true, noExec = false;
        ulong pa;

        if ((Cr4 & 0x20) == 0)
        {
            // 32-bit paging: PDE then PTE, 4 MiB pages when CR4.PSE and PDE.PS.
            ulong pdeAddr = (Cr3 & 0xFFFF_F000UL) + ((la >> 22) & 0x3FF) * 4;
            ulong pde = Memory.Read(pdeAddr, 4);
            if ((pde & PteP) == 0) PageFault(la, err);
            entryAddr[levels++] = pdeAddr;
            writable &= (pde & PteRw) != 0; userOk &= (pde & PteUs) != 0;
            if ((pde & PtePs) != 0 && (Cr4 & 0x10) != 0)
            {
                // PSE-36: bits (M − 20):13 hold physical address bits (M − 1):32; bits 21:(M − 19) are reserved
                // (SDM Vol. 3A Table 4-4, M = MAXPHYADDR = 39).
                const int high = MaxPhysAddrBits - 32;
                if ((pde & (((1UL << 22) - 1) & ~((1UL << (13 + high)) - 1))) != 0) PageFault(la, err | 9);
                pa = (pde & 0xFFC0_0000UL) | (((pde >> 13) & ((1UL << high) - 1)) << 32) | (la & 0x3F_FFFF);
                CheckAndMark(la, err, write, user, fetch, writable, userOk, noExec, entryAddr[..levels], 4, kind);
                return pa;
            }
            ulong pteAddr = (pde & 0xFFFF_F000UL) + ((la >> 12) & 0x3FF) * 4;
            ulong pte = Memory.Read(pteAddr, 4);
            if ((pte & PteP) == 0) PageFault(la, err);
            entryAddr[levels++] = pteAddr;
            writable &= (pte & PteRw) != 0; userOk &= (pte & PteUs) != 0;
            CheckAndMark(la, err, write, user, fetch, writable, userOk, noExec, entryAddr[..levels], 4, kind);
            return (pte & 0xFFFF_F000UL) | (la & 0xFFF);
        }

        ulong table;
        int startLevel;
        if (LongModeActive)
        {
            // Non-canonical linear addresses never reach the TLB; this is where their #GP is raised.
            if ((ulong)(((long)la << 16) >> 16) != la) RaiseFault(Vector.GP, 0);
            table = Cr3 & PhysAddrMask;
            startLevel = 4;
        }
        else
        {
            ulong pdpte = _pdpte[(la >> 30) & 3];
            if ((pdpte & PteP) == 0) PageFault(la, err);
            table = pdpte & PhysAddrMask;
            startLevel = 2;
        }

        for (int level = startLevel; level >= 1; level--)
        {
            int shift = 12 + 9 * (level - 1);
            ulong addr = table + ((la >> shift) & 0x1FF) * 8;
            ulong e = Memory.Read(addr, 8);
            if ((e & PteP) == 0) PageFault(la, err);
            entryAddr[levels++] = addr;
            // Reserved bits: MAXPHYADDR and above (bits 51:39 with 4-level paging, 62:39 with PAE paging), NX
            // when EFER.NXE = 0, PS in a PML4E, bits 20:13 of a 2 MiB PDE and bits 29:13 of a 1 GiB PDPTE
            // (SDM Vol. 3A Tables 4-8 to 4-19; PAE starts at the PDE here: its PDPTEs are registers).
            ulong rsvd = (e & (LongModeActive ? 0x000F_FFFF_FFFF_F000UL : 0x7FFF_FFFF_FFFF_F000UL) & ~PhysAddrMask) | (e & reservedNx);
            bool large = (e & PtePs) != 0 && level is 2 or 3;
            if ((e & PtePs) != 0 && level == 4) rsvd |= PtePs;
            ulong pageMask = level == 3 ? 0x3FFF_FFFFUL : 0x1F_FFFFUL;
            if (large) rsvd |= e & pageMask & ~0x1FFFUL;
            if (rsvd != 0) PageFault(la, err | 9);
            writable &= (e & PteRw) != 0; userOk &= (e & PteUs) != 0; noExec |= nxe && (e & PteNx) != 0;
            if (large)
            {
                CheckAndMark(la, err, write, user, fetch, writable, userOk, noExec, entryAddr[..levels], 8, kind);
                return (e & PhysAddrMask & ~pageMask) | (la & pageMask);
            }
            if (level == 1)
            {
                CheckAndMark(la, err, write, user, fetch, writable, userOk, noExec, entryAddr[..levels], 8, kind);
                return (e & PhysAddrMask) | (la & 0xFFF);
            }
            table = e & PhysAddrMask;
        }
        throw new InvalidOperationException("unreachable: page walk ended without a leaf");
    }

    private void CheckAndMark(ulong la, uint err, bool write, bool user, bool fetch, bool writable, bool userOk,
        bool noExec, ReadOnlySpan<ulong> entries, int entrySize, AccessKind kind)
    {
        // SDM Vol. 3A §4.6: user accesses need U/S at every level; writes need R/W everywhere for
        // user mode, and for supervisor mode when CR0.WP = 1; fetches fault on NX pages.
        if (user && !userOk) PageFault(la, err | 1);
        if (write && !writable && (user || (Cr0 & 0x1_0000) != 0)) PageFault(la, err | 1);
        if (fetch && noExec) PageFault(la, err | 1);
        if (!user && userOk)
        {
            // §4.6.1: a supervisor-mode fetch from a user-mode page faults under SMEP; a supervisor-mode data
            // access to one faults under SMAP unless CPL < 3 and EFLAGS.AC = 1 (implicit accesses always fault).
            if (fetch)
            {
                if ((Cr4 & Cr4Smep) != 0) PageFault(la, err | 1);
            }
            else if ((Cr4 & Cr4Smap) != 0)
            {
                bool implicitAccess = Cpl == 3 || (kind & AccessKind.System) != 0;
                if (implicitAccess || (RflagsBits & Rflags.AC) == 0) PageFault(la, err | 1);
                _smapSensitiveTranslation = true;
            }
        }
        for (int i = 0; i < entries.Length; i++)
        {
            ulong addr = entries[i];
            ulong e = Memory.Read(addr, entrySize);
            bool leaf = i == entries.Length - 1;
            ulong set = PteA | (leaf && write ? PteD : 0);
            if ((e & set) != set) Memory.Write(addr, entrySize, e | set);
        }
    }

    private void PageFault(ulong la, uint errorCode)
    {
        Cr2 = la;
        RaiseFault(Vector.PF, errorCode);
    }
}
