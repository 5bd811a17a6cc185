using Iced.Intel;

namespace Smp.Devices.Cpu;

/// <summary>
/// One decoded instruction, prepared once for fast execution: the handler chosen from the
/// instruction's Iced <see cref="Code"/>, operand registers and the memory operand's parts
/// pre-extracted, plus the full Iced <see cref="Instruction"/> for rare or complex handlers.
/// </summary>
public unsafe struct Uop
{
    /// <summary>The semantic routine.</summary>
    public delegate*<CpuCore, ref Uop, void> Exec;

    /// <summary>
    /// The first immediate, sign- or zero-extended to 64 bits as the instruction uses it; for near
    /// relative branches the displacement from the next instruction's address.
    /// </summary>
    public ulong Imm;

    /// <summary>A second immediate (ENTER's nesting level, the selector of a direct far pointer).</summary>
    public ulong Imm2;

    /// <summary>The memory operand's displacement; for RIP-relative operands relative to the next instruction.</summary>
    public long Disp;

    /// <summary>Address-size mask for effective addresses: 0xFFFF, 0xFFFFFFFF or all ones.</summary>
    public ulong AddrMask;

    /// <summary>All ones for a RIP-relative memory operand (the next RIP is added), else 0.</summary>
    public ulong RipRelativeMask;

    /// <summary>Instruction length in bytes.</summary>
    public byte Length;

    /// <summary>Position of the instruction in its decoded block: the block's instructions before it have retired when it runs.</summary>
    public byte Position;

    /// <summary>Register of operand 0, 1, 2 (see <see cref="Reg"/>; segment, control and debug register numbers for those operand kinds).</summary>
    public byte R0, R1, R2;

    /// <summary>Memory operand base register (<see cref="Reg.None"/> if absent).</summary>
    public byte Base;

    /// <summary>Memory operand index register (<see cref="Reg.None"/> if absent).</summary>
    public byte Index;

    /// <summary>Memory operand scale as a shift count (0–3).</summary>
    public byte Scale;

    /// <summary>Memory operand segment (after overrides and defaults), see <see cref="Cpu.Seg"/>.</summary>
    public byte Seg;

    /// <summary>The full decoded instruction.</summary>
    public Instruction Instr;
}
