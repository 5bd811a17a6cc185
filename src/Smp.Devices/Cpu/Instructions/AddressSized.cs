using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>Registers used at the address size (RSI, RDI, RCX of string instructions and LOOP).</summary>
internal static class AddressSized
{
    /// <summary>Writes <paramref name="v"/> to register <paramref name="r"/> at the address size <paramref name="addrMask"/>: 16 bits merge, 32 zero-extend, 64 whole.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Set(CpuCore c, int r, ulong v, ulong addrMask)
    {
        ref ulong x = ref c.Gpr(r);
        x = addrMask == 0xFFFF ? (x & ~0xFFFFUL) | (v & 0xFFFF) : v & addrMask;
    }
}
