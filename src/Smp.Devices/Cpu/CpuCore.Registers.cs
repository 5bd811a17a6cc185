using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Smp.Devices.Cpu;

public sealed partial class CpuCore
{
    /// <summary>
    /// General-purpose registers RAX–R15 at 0–15; slot 16 is always zero so that an absent base or
    /// index register adds nothing to an effective address without a branch.
    /// </summary>
    public RegisterFile R;

    /// <summary>The instruction pointer of the instruction being executed (or the next one, between instructions).</summary>
    public ulong Rip;

    /// <summary>
    /// While an instruction executes: the address of the following instruction. Control transfers
    /// write it; after the handler returns it becomes <see cref="Rip"/>. A fault leaves Rip unchanged.
    /// </summary>
    public ulong NextRip;

    /// <summary>Segment registers ES, CS, SS, DS, FS, GS with their descriptor caches.</summary>
    public readonly SegmentRegister[] Segs = new SegmentRegister[6];

    /// <summary>Reference to general-purpose register <paramref name="r"/> (0–15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref ulong Gpr(int r) => ref Unsafe.Add(ref Unsafe.As<RegisterFile, ulong>(ref R), r);

    /// <summary>Reads an 8-bit register: 0–15 are the low bytes (AL…R15B), 20–23 are AH, CH, DH, BH.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Get8(int r) => r < 16 ? (byte)Gpr(r) : (byte)(Gpr(r - Reg.AH) >> 8);

    /// <summary>Writes an 8-bit register, leaving the other bits of the full register unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set8(int r, byte v)
    {
        if (r < 16) { ref ulong x = ref Gpr(r); x = (x & ~0xFFUL) | v; }
        else { ref ulong x = ref Gpr(r - Reg.AH); x = (x & ~0xFF00UL) | ((ulong)v << 8); }
    }

    /// <summary>Reads the low 16 bits of a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort Get16(int r) => (ushort)Gpr(r);

    /// <summary>Writes the low 16 bits of a register, keeping bits 16–63.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set16(int r, ushort v) { ref ulong x = ref Gpr(r); x = (x & ~0xFFFFUL) | v; }

    /// <summary>Reads the low 32 bits of a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Get32(int r) => (uint)Gpr(r);

    /// <summary>Writes a 32-bit register: the upper 32 bits are zeroed (SDM Vol. 1 §3.4.1.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set32(int r, uint v) => Gpr(r) = v;

    /// <summary>Reads a full 64-bit register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Get64(int r) => Gpr(r);

    /// <summary>Writes a full 64-bit register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set64(int r, ulong v) => Gpr(r) = v;

    /// <summary>Reads a register of <paramref name="sizeIndex"/> (0 = 8 … 3 = 64 bits), zero-extended.</summary>
    public ulong GetSized(int sizeIndex, int r) => sizeIndex switch
    {
        0 => Get8(r),
        1 => Get16(r),
        2 => Get32(r),
        _ => Get64(r),
    };

    /// <summary>Writes a register of <paramref name="sizeIndex"/> with the architectural merge/zero-extension rules.</summary>
    public void SetSized(int sizeIndex, int r, ulong v)
    {
        switch (sizeIndex)
        {
            case 0: Set8(r, (byte)v); break;
            case 1: Set16(r, (ushort)v); break;
            case 2: Set32(r, (uint)v); break;
            default: Set64(r, v); break;
        }
    }
}
