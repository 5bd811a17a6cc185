namespace Smp.Devices.Cpu;

// The machine-check architecture's MSRs (SDM Vol. 3B chapter 15): IA32_MCG_CAP/STATUS and the error-reporting
// banks with their CMCI controls. The simulated hardware never detects an error, so every status register reads
// clear and #MC and CMCI are never signalled; what a kernel's machine-check initialisation writes (all banks
// enabled, status cleared, CMCI thresholds) is kept and read back as on the real part.
public sealed partial class CpuCore
{
    /// <summary>Error-reporting banks (IA32_MCG_CAP.Count).</summary>
    public const int MachineCheckBanks = 8;

    /// <summary>
    /// IA32_MCG_CAP: <see cref="MachineCheckBanks"/> banks and MCG_CMCI_P (bit 10: corrected machine-check
    /// interrupts, with IA32_MCi_CTL2 and the local APIC's LVT CMCI). No MCG_CTL_P, so IA32_MCG_CTL does not exist.
    /// </summary>
    public const ulong McgCapValue = MachineCheckBanks | (1UL << 10);

    // IA32_MCi_CTL2: CMCI_EN (bit 30) and the corrected-error threshold (bits 14:0); the rest is reserved.
    private const ulong McCtl2Writable = (1UL << 30) | 0x7FFF;

    // Per bank, four stored registers: CTL, ADDR, MISC, CTL2 (STATUS always reads 0).
    private const int McCtl = 0, McAddr = 1, McMisc = 2, McCtl2 = 3;
    private readonly ulong[] _mcBanks = new ulong[MachineCheckBanks * 4];

    private ref ulong McBank(int bank, int register) => ref _mcBanks[bank * 4 + register];

    // Bank registers: CTL at 0x400 + 4i, STATUS + 1, ADDR + 2, MISC + 3; CTL2 at 0x280 + i.
    private bool TryReadMachineCheckMsr(uint msr, out ulong value)
    {
        value = 0;
        if (msr is >= Msr.Mc0Ctl2 and < Msr.Mc0Ctl2 + MachineCheckBanks)
        {
            value = McBank((int)(msr - Msr.Mc0Ctl2), McCtl2);
            return true;
        }
        if (msr is < Msr.Mc0Ctl or >= Msr.Mc0Ctl + 4 * MachineCheckBanks) return false;
        int bank = (int)(msr - Msr.Mc0Ctl) >> 2;
        value = ((msr - Msr.Mc0Ctl) & 3) switch
        {
            0 => McBank(bank, McCtl),
            1 => 0, // STATUS: no error was ever logged (VAL = 0)
            2 => McBank(bank, McAddr),
            _ => McBank(bank, McMisc),
        };
        return true;
    }

    private bool TryWriteMachineCheckMsr(uint msr, ulong value)
    {
        if (msr is >= Msr.Mc0Ctl2 and < Msr.Mc0Ctl2 + MachineCheckBanks)
        {
            if ((value & ~McCtl2Writable) != 0) return false;
            McBank((int)(msr - Msr.Mc0Ctl2), McCtl2) = value;
            return true;
        }
        if (msr is < Msr.Mc0Ctl or >= Msr.Mc0Ctl + 4 * MachineCheckBanks) return false;
        int bank = (int)(msr - Msr.Mc0Ctl) >> 2;
        switch ((msr - Msr.Mc0Ctl) & 3)
        {
            case 0:
                // P6-family processors accept only all 0s or all 1s in IA32_MCi_CTL (SDM Vol. 3B §15.3.2.1).
                if (value != 0 && value != ulong.MaxValue) return false;
                McBank(bank, McCtl) = value;
                return true;
            case 1:
                // Software may only clear IA32_MCi_STATUS; writing a 1 raises #GP (SDM Vol. 3B §15.3.2.2).
                return value == 0;
            case 2:
                McBank(bank, McAddr) = value;
                return true;
            default:
                McBank(bank, McMisc) = value;
                return true;
        }
    }
}
