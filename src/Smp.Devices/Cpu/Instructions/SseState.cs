using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// MXCSR access (SDM Vol. 2 LDMXCSR, STMXCSR). The fences, PREFETCHh and CLFLUSH live with the other cache and
/// ordering hints in DataTransfer.Misc.cs.
/// </summary>
internal static unsafe class SseState
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Ldmxcsr_m32, &Ldmxcsr);
        HandlerTable.Register(Code.Stmxcsr_m32, &Stmxcsr);
    }

    // LDMXCSR m32: #GP(0) when a bit outside MXCSR_MASK is set. Loading a set flag with its mask clear raises nothing
    // now; the next SSE floating-point instruction that detects an exception faults (SDM Vol. 2A LDMXCSR).
    private static void Ldmxcsr(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        uint v = c.Read32(c.SimdAddress(ref u, 4, false));
        if ((v & ~Simd.Mxcsr.WritableMask) != 0) c.RaiseFault(Vector.GP, 0);
        c.Mxcsr = v;
    }

    private static void Stmxcsr(CpuCore c, ref Uop u)
    {
        c.SseCheck();
        c.Write32(c.SimdAddress(ref u, 4, true), c.Mxcsr);
    }
}
