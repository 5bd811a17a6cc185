using Smp.Devices.Cpu;

namespace Smp.Host.Stress;

/// <summary>
/// Reads guest linear memory as a CPU sees it, without side effects: a private page walk (4-level
/// paging with 1 GiB and 2 MiB pages, or no paging) over RAM (never MMIO) that sets no accessed
/// bits, fills no TLB and triggers no breakpoints. For reports (backtraces, oopses), not execution.
/// </summary>
public sealed class GuestMemoryView(CpuCore cpu)
{
    /// <summary>Translates <paramref name="linear"/>; false when not mapped.</summary>
    public bool TryTranslate(ulong linear, out ulong physical)
    {
        physical = linear;
        if (!cpu.PagingEnabled) return true;
        if (!cpu.LongModeActive) return false;   // only the paging mode of 64-bit kernels is walked
        ulong table = cpu.Cr3 & 0x000F_FFFF_FFFF_F000UL;
        for (int level = 3; level >= 0; level--)
        {
            ulong e = cpu.Memory.Read(table + ((linear >> (12 + 9 * level)) & 511) * 8, 8);
            if ((e & 1) == 0) return false;
            ulong addr = e & 0x000F_FFFF_FFFF_F000UL;
            if (level is 1 or 2 && (e & 0x80) != 0)
            {
                ulong pageMask = (1UL << (12 + 9 * level)) - 1;
                physical = (addr & ~pageMask) | (linear & pageMask);
                return true;
            }
            table = addr;
        }
        physical = table | (linear & 0xFFF);
        return true;
    }

    /// <summary>Reads the 64-bit word at <paramref name="linear"/>; false when (part of) it is not mapped.</summary>
    public bool TryRead64(ulong linear, out ulong value)
    {
        value = 0;
        if ((linear & 0xFFF) <= 0xFF8)
        {
            if (!TryTranslate(linear, out ulong p) || !cpu.Memory.IsRam(p, 8)) return false;
            value = cpu.Memory.Read(p, 8);
            return true;
        }
        for (int i = 7; i >= 0; i--)
        {
            if (!TryTranslate(linear + (ulong)i, out ulong pa) || !cpu.Memory.IsRam(pa, 1)) return false;
            value = (value << 8) | cpu.Memory.Read(pa, 1);
        }
        return true;
    }

    /// <summary>Reads one byte; false when not mapped.</summary>
    public bool TryRead8(ulong linear, out byte value)
    {
        value = 0;
        if (!TryTranslate(linear, out ulong pa) || !cpu.Memory.IsRam(pa, 1)) return false;
        value = (byte)cpu.Memory.Read(pa, 1);
        return true;
    }
}
