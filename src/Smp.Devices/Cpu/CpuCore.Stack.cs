using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu;

// Stack accesses shared by PUSH/POP, CALL/RET, ENTER/LEAVE, and event delivery. The stack
// address size is 64 bits in 64-bit mode, otherwise SS.B picks ESP (32) or SP (16); offsets wrap
// at that width and every access goes through the SS segment checks (#SS) and paging (#PF).
public sealed partial class CpuCore
{
    /// <summary>
    /// The stack address size in bytes: 8 in 64-bit mode, 4 when the SS descriptor's B bit is set,
    /// else 2 (SDM Vol. 1 §6.2.3 "Address-Size Attributes for Stack Accesses").
    /// </summary>
    public int StackAddressSize => Is64 ? 8 : Segs[Seg.SS].DefaultBig ? 4 : 2;

    /// <summary>Mask of the stack pointer bits in use: all ones, 0xFFFFFFFF or 0xFFFF (see <see cref="StackAddressSize"/>).</summary>
    public ulong StackPointerMask
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Is64 ? ulong.MaxValue : Segs[Seg.SS].DefaultBig ? 0xFFFF_FFFFUL : 0xFFFFUL;
    }

    /// <summary>
    /// The linear address of SS:<paramref name="offset"/> for an access of <paramref name="size"/> bytes,
    /// the offset first wrapped to the stack address size; raises #SS(0) on a limit or canonical violation.
    /// Commits nothing.
    /// </summary>
    /// <param name="offset">The stack offset (an RSP/ESP/SP value; higher bits are ignored outside 64-bit mode).</param>
    /// <param name="size">Access size in bytes.</param>
    /// <param name="write">True for a store (checks that SS is writable in protected mode).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong StackAddress(ulong offset, int size, bool write) => LinearAddress(Seg.SS, offset & StackPointerMask, size, write);

    /// <summary>
    /// Pushes the low <paramref name="size"/> bytes (2, 4 or 8) of <paramref name="value"/> below the working
    /// stack pointer <paramref name="rsp"/> and lowers it, without touching RSP. Use it for multi-push sequences
    /// (CALL, ENTER, PUSHA, interrupt frames) and call <see cref="CommitStackPointer"/> once every write has succeeded,
    /// so that a fault part-way leaves RSP as it was (faults are restartable).
    /// </summary>
    /// <param name="rsp">The working stack pointer; on return the new top of stack (wrapped to the stack width).</param>
    /// <param name="size">Operand size in bytes.</param>
    /// <param name="value">The value to store.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PushAt(ref ulong rsp, int size, ulong value)
    {
        ulong top = (rsp - (ulong)size) & StackPointerMask;
        WriteSized(LinearAddress(Seg.SS, top, size, true), size, value);
        rsp = top;
    }

    /// <summary>
    /// Reads <paramref name="size"/> bytes (2, 4 or 8) at the working stack pointer <paramref name="rsp"/> and
    /// raises it, without touching RSP (the counterpart of <see cref="PushAt"/>; commit with <see cref="CommitStackPointer"/>).
    /// </summary>
    /// <param name="rsp">The working stack pointer; on return advanced past the value (wrapped to the stack width).</param>
    /// <param name="size">Operand size in bytes.</param>
    /// <returns>The value read, zero-extended.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong PopAt(ref ulong rsp, int size)
    {
        ulong mask = StackPointerMask;
        ulong top = rsp & mask;
        ulong v = ReadSized(LinearAddress(Seg.SS, top, size, false), size);
        rsp = (top + (ulong)size) & mask;
        return v;
    }

    /// <summary>
    /// Writes a working stack pointer back to RSP at the stack address size: all 64 bits in 64-bit mode,
    /// ESP (zero-extended) with a 32-bit stack, only SP (bits 16–63 kept) with a 16-bit stack.
    /// </summary>
    /// <param name="rsp">The new stack pointer.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CommitStackPointer(ulong rsp) => SetStackPointer(rsp, StackPointerMask);

    /// <summary>
    /// Writes RSP at the stack width given by <paramref name="mask"/> (0xFFFF merges SP, 0xFFFFFFFF
    /// zero-extends ESP, all ones writes RSP): for stack switches, where the width is the new SS's.
    /// </summary>
    internal void SetStackPointer(ulong sp, ulong mask)
    {
        if (mask == 0xFFFFUL) Set16(Reg.RSP, (ushort)sp);
        else if (mask == 0xFFFF_FFFFUL) R[Reg.RSP] = (uint)sp;
        else R[Reg.RSP] = sp;
    }

    /// <summary>
    /// Pushes the low <paramref name="size"/> bytes (2, 4 or 8) of <paramref name="value"/> on the stack and commits
    /// RSP; on a fault (#SS, #PF) neither memory nor RSP changes.
    /// </summary>
    /// <param name="size">Operand size in bytes.</param>
    /// <param name="value">The value to push.</param>
    public void Push(int size, ulong value)
    {
        ulong rsp = R[Reg.RSP];
        PushAt(ref rsp, size, value);
        CommitStackPointer(rsp);
    }

    /// <summary>Pops <paramref name="size"/> bytes (2, 4 or 8) from the stack and commits RSP; on a fault RSP is unchanged.</summary>
    /// <param name="size">Operand size in bytes.</param>
    /// <returns>The value popped, zero-extended.</returns>
    public ulong Pop(int size)
    {
        ulong rsp = R[Reg.RSP];
        ulong v = PopAt(ref rsp, size);
        CommitStackPointer(rsp);
        return v;
    }
}
