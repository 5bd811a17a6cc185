using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// CRC32 (SDM Vol. 2A): accumulates the CRC-32C (Castagnoli) of an 8-, 16-, 32- or 64-bit source into the low
/// 32 bits of the destination, which is then zero-extended; no flags change. CPUID enumerates it with SSE4.2,
/// so it is #UD until <see cref="Cpuid.Leaf1Ecx"/> reports SSE4.2. The arithmetic is the runtime's
/// <see cref="System.Numerics.BitOperations.Crc32C(uint, byte)"/> family, which computes exactly this instruction.
/// </summary>
internal static unsafe class Crc32
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(&Accumulate<Size8>, false, Code.Crc32_r32_rm8, Code.Crc32_r64_rm8);
        HandlerTable.Register(Code.Crc32_r32_rm16, &Accumulate<Size16>);
        HandlerTable.Register(Code.Crc32_r32_rm32, &Accumulate<Size32>);
        HandlerTable.Register(Code.Crc32_r64_rm64, &Accumulate<Size64>);
    }

    private static void Accumulate<T>(CpuCore c, ref Uop u) where T : struct, IOperandSize
    {
        if (!Cpuid.HasCrc32) c.RaiseFault(Vector.UD);
        ulong src = Alu.ReadRm1<T>(c, ref u);
        uint crc = c.Get32(u.R0);
        crc = T.Bits switch
        {
            8 => System.Numerics.BitOperations.Crc32C(crc, (byte)src),
            16 => System.Numerics.BitOperations.Crc32C(crc, (ushort)src),
            32 => System.Numerics.BitOperations.Crc32C(crc, (uint)src),
            _ => System.Numerics.BitOperations.Crc32C(crc, src),
        };
        c.Set32(u.R0, crc); // 32- and 64-bit destinations alike: the upper half is zero
    }
}
