namespace Smp.Devices.Cpu;

// A page walk without side effects: no accessed or dirty bit set, no TLB filled, nothing raised, no paging entry read
// from a device. The debugger translates with it, and the JIT uses it to check that a translated region's other code
// pages still translate as when it was formed (FetchTranslatesQuietly).
public sealed partial class CpuCore
{
    /// <summary>What a walk found about a translation for a fetch: U/S and NX combined over its levels, and whether every level's accessed flag is set.</summary>
    private readonly record struct WalkRights(bool User, bool NoExecute, bool Accessed);

    // Walks as Translate does in every paging mode (none, 32-bit with PSE-36, PAE, 4-level), checking the reserved bits it
    // checks; false when the address is not mapped, not canonical, or a table lies outside RAM.
    private bool TryWalkQuietly(ulong linear, out ulong physical, out WalkRights rights)
    {
        physical = 0;
        rights = new WalkRights(true, false, true);
        if (!PagingEnabled)
        {
            physical = linear & A20Mask & (LongModeActive ? ulong.MaxValue : 0xFFFF_FFFFUL);
            return true;
        }

        if ((Cr4 & Cr4Pae) == 0)
        {
            if (linear > 0xFFFF_FFFFUL || !TryReadPagingEntry((Cr3 & 0xFFFF_F000UL) + ((linear >> 22) & 0x3FF) * 4, 4, out ulong pde)) return false;
            rights = Combine(rights, pde);
            if ((pde & PtePs) != 0 && (Cr4 & Cr4Pse) != 0)
            {
                const int high = MaxPhysAddrBits - 32;   // PSE-36, as Translate
                if ((pde & (((1UL << 22) - 1) & ~((1UL << (13 + high)) - 1))) != 0) return false;
                physical = (pde & 0xFFC0_0000UL) | (((pde >> 13) & ((1UL << high) - 1)) << 32) | (linear & 0x3F_FFFF);
                return true;
            }

            if (!TryReadPagingEntry((pde & 0xFFFF_F000UL) + ((linear >> 12) & 0x3FF) * 4, 4, out ulong pte)) return false;
            rights = Combine(rights, pte);
            physical = (pte & 0xFFFF_F000UL) | (linear & 0xFFF);
            return true;
        }

        ulong table;
        int level;
        if (LongModeActive)
        {
            if ((ulong)(((long)linear << 16) >> 16) != linear) return false;
            table = Cr3 & PhysAddrMask;
            level = 4;
        }
        else
        {
            if (linear > 0xFFFF_FFFFUL) return false;
            ulong pdpte = _pdpte[(linear >> 30) & 3];   // a register: no rights, no accessed flag (§4.4.1)
            if ((pdpte & PteP) == 0) return false;
            table = pdpte & PhysAddrMask;
            level = 2;
        }

        // The reserved bits Translate checks (MAXPHYADDR and above, NX without EFER.NXE, PS in a PML4E, the low bits of a
        // large page's address).
        ulong reserved = (LongModeActive ? 0x000F_FFFF_FFFF_F000UL : 0x7FFF_FFFF_FFFF_F000UL) & ~PhysAddrMask;
        if ((Efer & 0x800) == 0) reserved |= PteNx;
        for (; level >= 1; level--)
        {
            if (!TryReadPagingEntry(table + ((linear >> (3 + 9 * level)) & 0x1FF) * 8, 8, out ulong e) || (e & reserved) != 0) return false;
            if ((e & PtePs) != 0 && level == 4) return false;
            rights = Combine(rights, e);
            if ((e & PtePs) != 0 && level is 2 or 3)
            {
                ulong pageMask = level == 3 ? 0x3FFF_FFFFUL : 0x1F_FFFFUL;
                if ((e & pageMask & ~0x1FFFUL) != 0) return false;
                physical = (e & PhysAddrMask & ~pageMask) | (linear & pageMask);
                return true;
            }

            table = e & PhysAddrMask;
        }

        physical = table | (linear & 0xFFF);
        return true;
    }

    private static WalkRights Combine(WalkRights r, ulong e) =>
        new(r.User && (e & PteUs) != 0, r.NoExecute || (e & PteNx) != 0, r.Accessed && (e & PteA) != 0);

    // A present paging-structure entry read from RAM only (a table in MMIO would be read with side effects).
    private bool TryReadPagingEntry(ulong address, int size, out ulong entry)
    {
        entry = 0;
        if (!Memory.IsRam(address, (ulong)size) || Memory.IsMmio(address)) return false;
        entry = Memory.Read(address, size);
        return (entry & PteP) != 0;
    }

    /// <summary>
    /// The physical page an instruction fetch from linear <paramref name="linear"/> would now reach, when it would reach
    /// one without a fault and without setting any accessed flag: Translate(linear, Execute) would then return that page
    /// and change nothing, so code known to lie there may run without the walk. Rights as CheckAndMark checks them for a
    /// fetch (SDM Vol. 3A §4.6): U/S at every level for CPL 3, no NX, no SMEP violation.
    /// </summary>
    internal bool TryFetchTranslationQuietly(ulong linear, out ulong ppn)
    {
        ppn = 0;
        if (!TryWalkQuietly(linear, out ulong pa, out var r)) return false;
        ppn = pa >> 12;
        if (!PagingEnabled) return true;
        bool user = Cpl == 3;
        if (!r.Accessed || r.NoExecute || (user && !r.User)) return false;
        return user || !r.User || (Cr4 & Cr4Smep) == 0;
    }
}
