using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Software interrupts and interrupt-flag control: INT n, INT3, INT1 (ICEBP), INTO, IRET/IRETD/IRETQ,
/// CLI, STI (SDM Vol. 2A INT n/INTO/INT3/INT1 and IRET, Vol. 2A CLI, Vol. 2B STI).
/// </summary>
internal static unsafe class Interrupts
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Int_imm8, &IntIb, endsBlock: true);
        HandlerTable.Register(Code.Int3, &Int3, endsBlock: true);
        HandlerTable.Register(Code.Int1, &Int1, endsBlock: true);
        HandlerTable.Register(Code.Into, &Into, endsBlock: true);
        HandlerTable.Register(Code.Iretw, &Iretw, endsBlock: true);
        HandlerTable.Register(Code.Iretd, &Iretd, endsBlock: true);
        HandlerTable.Register(Code.Iretq, &Iretq, endsBlock: true);
        HandlerTable.Register(Code.Cli, &Cli, endsBlock: true);
        HandlerTable.Register(Code.Sti, &Sti, endsBlock: true);
    }

    // INT n: a trap-like software interrupt, gate DPL checked; the saved RIP is the next instruction. In
    // virtual-8086 mode it is IOPL-sensitive: #GP(0) unless IOPL = 3 (SDM Vol. 3B §20.2.7; no VME).
    private static void IntIb(CpuCore c, ref Uop u)
    {
        if (c.Virtual8086 && (c.RflagsBits & Rflags.IOPL) != Rflags.IOPL) c.RaiseFault(Vector.GP, 0);
        c.SoftwareInterrupt((byte)u.Imm, EventKind.SoftwareInterrupt);
    }

    // INT3: #BP as a trap (saved RIP after the INT3), gate DPL checked like INT n.
    private static void Int3(CpuCore c, ref Uop u) => c.SoftwareInterrupt(Vector.BP, EventKind.SoftwareException);

    // INT1 (ICEBP, F1): #DB as a trap without the gate DPL check (SDM Vol. 2A INT n/INTO/INT3/INT1).
    // It is none of the conditions DR6 reports (B0–B3, BD, BS, BT; SDM Vol. 3B §17.2.3), so no DR6
    // status bit is set for it; debug traps held by a preceding MOV SS are reported by this same #DB.
    private static void Int1(CpuCore c, ref Uop u)
    {
        c.PrepareIcebpDebugException();
        c.SoftwareInterrupt(Vector.DB, EventKind.PrivilegedSoftwareException);
    }

    // INTO: #OF as a trap when OF = 1 (invalid in 64-bit mode: Iced does not decode it there).
    private static void Into(CpuCore c, ref Uop u)
    {
        if (c.GetOF()) c.SoftwareInterrupt(Vector.OF, EventKind.SoftwareException);
    }

    private static void Iretw(CpuCore c, ref Uop u) => c.ExecuteIret(2);

    private static void Iretd(CpuCore c, ref Uop u) => c.ExecuteIret(4);

    private static void Iretq(CpuCore c, ref Uop u) => c.ExecuteIret(8);

    // CLI/STI: in protected mode CPL must be ≤ IOPL, else #GP(0) (no VME/PVI support).
    private static bool MayChangeIf(CpuCore c) => !c.ProtectedMode || c.Cpl <= (int)((c.RflagsBits >> 12) & 3);

    private static void Cli(CpuCore c, ref Uop u)
    {
        if (!MayChangeIf(c)) c.RaiseFault(Vector.GP, 0);
        c.RflagsBits &= ~Rflags.IF;
    }

    // STI sets IF; when IF was 0 the next instruction runs before any maskable interrupt is
    // accepted (the STI interrupt shadow, SDM Vol. 2B STI).
    private static void Sti(CpuCore c, ref Uop u)
    {
        if (!MayChangeIf(c)) c.RaiseFault(Vector.GP, 0);
        if ((c.RflagsBits & Rflags.IF) != 0) return;
        c.RflagsBits |= Rflags.IF;
        c.SetInterruptShadow(movSs: false);
    }
}
