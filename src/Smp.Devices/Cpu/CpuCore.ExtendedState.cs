using Smp.Devices.Cpu.Fpu;

namespace Smp.Devices.Cpu;

// The x87 FPU and SSE register files (SDM Vol. 1 §8.1 and §10.2). The x87 registers are kept by their
// physical number R0–R7 (ST(i) = R[(TOP + i) & 7]); FXSAVE/XSAVE, FSAVE/FSTENV and snapshots read and write
// these fields directly.
public sealed partial class CpuCore
{
    /// <summary>x87 data registers R0–R7 (physical numbering, not stack order).</summary>
    internal readonly Float80[] FpuRegisters = new Float80[8];

    /// <summary>x87 control word (FCW); 037Fh after FNINIT.</summary>
    internal ushort Fcw = 0x037F;

    /// <summary>x87 status word (FSW) including TOP in bits 11–13.</summary>
    internal ushort Fsw;

    /// <summary>x87 full tag word (FTW, two bits per physical register; 11b = empty); FFFFh after FNINIT.</summary>
    internal ushort Ftw = 0xFFFF;

    /// <summary>Last x87 opcode (11 bits), instruction pointer and data pointer, with their selectors.</summary>
    internal ushort Fop, FpuCs, FpuDs;

    /// <summary>Last x87 instruction and operand offsets.</summary>
    internal ulong FpuIp, FpuDp;

    /// <summary>XMM0–XMM15: element 2n is the low quadword of XMMn, element 2n + 1 the high one.</summary>
    internal readonly ulong[] Xmm = new ulong[32];

    /// <summary>MXCSR; 1F80h at reset (all exceptions masked, round to nearest).</summary>
    internal uint Mxcsr = 0x1F80;

    /// <summary>XCR0 (extended control register 0); bit 0 (x87) is always set.</summary>
    internal ulong Xcr0 = 1;

    // Power-up/RESET values of the extended state (SDM Vol. 3A Table 9-1); INIT leaves it unchanged.
    private void ResetExtendedState()
    {
        FpuReset();
        ResetSimdState();
    }
}
