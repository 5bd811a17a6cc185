using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// RDRAND and RDSEED (SDM Vol. 2B): a random value of the operand size from the CPU's generator
/// (<see cref="CpuCore.NextRandom"/>), CF = 1 for "valid", OF, SF, ZF, AF, PF cleared. The generator never
/// runs dry, so CF is always 1.
/// </summary>
internal static unsafe class RandomNumbers
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Rdrand_r16, &Draw<Size16>);
        HandlerTable.Register(Code.Rdrand_r32, &Draw<Size32>);
        HandlerTable.Register(Code.Rdrand_r64, &Draw<Size64>);
        HandlerTable.Register(Code.Rdseed_r16, &Draw<Size16>);
        HandlerTable.Register(Code.Rdseed_r32, &Draw<Size32>);
        HandlerTable.Register(Code.Rdseed_r64, &Draw<Size64>);
    }

    private static void Draw<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        T.Set(c, u.R0, c.NextRandom());
        Alu.SetStatusFlags(c, Rflags.Arithmetic, Rflags.CF);
    }
}
