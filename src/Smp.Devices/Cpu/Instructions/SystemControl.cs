using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>System instructions: HLT, descriptor tables, control and debug registers, MSRs, CPUID (SDM Vol. 3A §2.8).</summary>
internal static unsafe class SystemControl
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Hlt, &Hlt, endsBlock: true);
    }

    private static void Hlt(CpuCore c, ref Uop u)
    {
        if (c.Cpl != 0) c.RaiseFault(Vector.GP, 0);
        c.State = RunState.Halted;
        c.RequestExit();
    }
}
