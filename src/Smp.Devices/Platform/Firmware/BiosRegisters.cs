using Smp.Devices.Cpu;

namespace Smp.Devices.Platform.Firmware;

/// <summary>
/// The real-mode register state a BIOS service reads and returns: what the caller had at its
/// <c>INT n</c>. <see cref="Flags"/> is the FLAGS image the service returns in (CF = error, ZF ...),
/// which the ROM stub's IRET would otherwise restore from the stack.
/// </summary>
public struct BiosRegisters
{
    /// <summary>General-purpose registers (32-bit views; real-mode code may use the upper halves).</summary>
    public uint Eax, Ebx, Ecx, Edx, Esi, Edi, Ebp;

    /// <summary>Segment selectors.</summary>
    public ushort Ds, Es;

    /// <summary>The caller's FLAGS (low 16 bits of RFLAGS) as pushed by INT n.</summary>
    public ushort Flags;

    /// <summary>AH.</summary>
    public byte Ah { readonly get => (byte)(Eax >> 8); set => Eax = (Eax & 0xFFFF_00FF) | ((uint)value << 8); }

    /// <summary>AL.</summary>
    public byte Al { readonly get => (byte)Eax; set => Eax = (Eax & 0xFFFF_FF00) | value; }

    /// <summary>The carry flag of <see cref="Flags"/>, the BIOS error indicator.</summary>
    public bool Carry
    {
        readonly get => (Flags & 1) != 0;
        set => Flags = value ? (ushort)(Flags | 1) : (ushort)(Flags & ~1);
    }

    /// <summary>
    /// Captures a CPU stopped at the ROM stub's trap (<see cref="BiosTrap.EmitTrap"/>): GPRs and DS/ES from the CPU,
    /// except DX, which the stub saved at SS:SP (the register holds the trap port), and FLAGS from the INT frame above it.
    /// </summary>
    public static BiosRegisters Capture(CpuCore cpu)
    {
        ulong frame = cpu.Segs[Seg.SS].Base + (ushort)cpu.R[Reg.RSP];
        return new BiosRegisters
        {
            Eax = (uint)cpu.R[Reg.RAX], Ebx = (uint)cpu.R[Reg.RBX], Ecx = (uint)cpu.R[Reg.RCX],
            Edx = ((uint)cpu.R[Reg.RDX] & 0xFFFF_0000) | (uint)cpu.PhysicalRead(frame + BiosTrap.SavedDxOffset, 2),
            Esi = (uint)cpu.R[Reg.RSI], Edi = (uint)cpu.R[Reg.RDI], Ebp = (uint)cpu.R[Reg.RBP],
            Ds = cpu.Segs[Seg.DS].Selector, Es = cpu.Segs[Seg.ES].Selector,
            Flags = (ushort)cpu.PhysicalRead(frame + BiosTrap.FlagsOffset, 2),
        };
    }

    /// <summary>
    /// Writes the service's results back: GPRs (DX also into the stub's saved slot, which its POP DX restores), and FLAGS
    /// into the INT frame so the stub's IRET returns them to the caller. DS/ES are not changed by the services we implement.
    /// </summary>
    public readonly void ApplyTo(CpuCore cpu)
    {
        cpu.R[Reg.RAX] = Eax; cpu.R[Reg.RBX] = Ebx; cpu.R[Reg.RCX] = Ecx; cpu.R[Reg.RDX] = Edx;
        cpu.R[Reg.RSI] = Esi; cpu.R[Reg.RDI] = Edi; cpu.R[Reg.RBP] = Ebp;
        ulong frame = cpu.Segs[Seg.SS].Base + (ushort)cpu.R[Reg.RSP];
        cpu.PhysicalWrite(frame + BiosTrap.SavedDxOffset, 2, (ushort)Edx);
        cpu.PhysicalWrite(frame + BiosTrap.FlagsOffset, 2, Flags);
    }
}
