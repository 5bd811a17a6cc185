using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// Fast system calls: SYSCALL/SYSRET (64-bit mode, EFER.SCE) and SYSENTER/SYSEXIT (SDM Vol. 2B).
/// They load CS and SS with fixed flat descriptor caches rather than reading the GDT.
/// </summary>
internal static unsafe class SyscallSysret
{
    // Descriptor-cache attribute words (descriptor bytes 5–6): G, D/B, L, P, DPL, S, type.
    private const ushort Code64Dpl0 = 0xA09B, Code32Dpl0 = 0xC09B, DataDpl0 = 0xC093;
    private const ushort Code64Dpl3 = 0xA0FB, Code32Dpl3 = 0xC0FB, DataDpl3 = 0xC0F3;

    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Syscall, &Syscall, endsBlock: true);
        HandlerTable.Register(&Sysret, true, Code.Sysretd, Code.Sysretq);
        HandlerTable.Register(Code.Sysenter, &Sysenter, endsBlock: true);
        HandlerTable.Register(&Sysexit, true, Code.Sysexitd, Code.Sysexitq);
    }

    private static SegmentRegister Flat(ulong selector, ushort attributes) =>
        new() { Selector = (ushort)selector, Base = 0, Limit = 0xFFFF_FFFF, Attributes = attributes };

    private static void Enter(CpuCore c, SegmentRegister cs, SegmentRegister ss, int cpl, ulong rip)
    {
        var before = c.Mode;
        c.Segs[Seg.CS] = cs;
        c.Segs[Seg.SS] = ss;
        c.Cpl = cpl;
        c.NextRip = rip;
        c.UpdateMode();
        if (c.Mode != before) c.Observer?.ModeChanged(c, before, c.Mode);
    }

    private static bool IsCanonical(ulong a) => (ulong)(((long)a << 16) >> 16) == a;

    // SYSCALL: RCX ← next RIP, R11 ← RFLAGS; CS ← STAR[47:32] & FFFCh (flat 64-bit, DPL 0), SS ← STAR[47:32] + 8;
    // RFLAGS &= ~FMASK (and RF cleared); RIP ← LSTAR. #UD unless in 64-bit mode with EFER.SCE = 1.
    private static void Syscall(CpuCore c, ref Uop u)
    {
        if (!c.Is64 || (c.Efer & Msr.EferSce) == 0) c.RaiseFault(Vector.UD);
        ulong flags = c.GetRflags();
        c.Set64(Reg.RCX, c.NextRip);
        c.Set64(Reg.R8 + 3, flags & ~Rflags.RF);
        ulong sel = (c.Star >> 32) & 0xFFFF;
        c.SetRflags(flags & ~c.Fmask & ~Rflags.RF);
        Enter(c, Flat(sel & 0xFFFC, Code64Dpl0), Flat(sel + 8, DataDpl0), 0, c.Lstar);
    }

    // SYSRET: CPL 0 in 64-bit mode with EFER.SCE. REX.W: 64-bit return to RCX (non-canonical → #GP(0)),
    // CS ← STAR[63:48] + 16; otherwise compatibility mode at ECX, CS ← STAR[63:48]. SS ← STAR[63:48] + 8;
    // both with RPL 3 and flat DPL 3 caches; RFLAGS ← (R11 & 3C7FD7h) | 2.
    private static void Sysret(CpuCore c, ref Uop u)
    {
        if (!c.Is64 || (c.Efer & Msr.EferSce) == 0) c.RaiseFault(Vector.UD);
        if (c.Cpl != 0) c.RaiseFault(Vector.GP, 0);
        ulong sel = (c.Star >> 48) & 0xFFFF;
        bool to64 = u.Instr.Code == Code.Sysretq;
        ulong rip = to64 ? c.Get64(Reg.RCX) : c.Get32(Reg.RCX);
        if (to64 && !IsCanonical(rip)) c.RaiseFault(Vector.GP, 0);
        var cs = to64 ? Flat((sel + 16) | 3, Code64Dpl3) : Flat(sel | 3, Code32Dpl3);
        c.SetRflags((c.Get64(Reg.R8 + 3) & 0x3C_7FD7) | Rflags.Reserved1);
        Enter(c, cs, Flat((sel + 8) | 3, DataDpl3), 3, rip);
    }

    // SYSENTER: protected mode and SYSENTER_CS[15:2] ≠ 0 else #GP(0); clears VM, IF, RF; CS ← SYSENTER_CS
    // (64-bit code when IA-32e mode is active), SS ← CS + 8; RSP/RIP ← SYSENTER_ESP/EIP.
    private static void Sysenter(CpuCore c, ref Uop u)
    {
        if (!c.ProtectedMode || (c.SysenterCs & 0xFFFC) == 0) c.RaiseFault(Vector.GP, 0);
        bool ia32e = c.LongModeActive;
        ulong sel = c.SysenterCs & 0xFFFC;
        c.SetRflags(c.GetRflags() & ~(Rflags.VM | Rflags.IF | Rflags.RF));
        if (ia32e) c.Set64(Reg.RSP, c.SysenterEsp);
        else c.Set32(Reg.RSP, (uint)c.SysenterEsp);
        Enter(c, Flat(sel, ia32e ? Code64Dpl0 : Code32Dpl0), Flat(sel + 8, DataDpl0), 0,
            ia32e ? c.SysenterEip : (uint)c.SysenterEip);
    }

    // SYSEXIT: CPL 0 in protected mode with SYSENTER_CS[15:2] ≠ 0 else #GP(0). REX.W: 64-bit, CS ←
    // SYSENTER_CS + 32, SS ← + 40, RIP ← RDX, RSP ← RCX (both canonical); else CS ← + 16, SS ← + 24,
    // EIP ← EDX, ESP ← ECX. RPL and DPL 3.
    private static void Sysexit(CpuCore c, ref Uop u)
    {
        if (!c.ProtectedMode || (c.SysenterCs & 0xFFFC) == 0 || c.Cpl != 0) c.RaiseFault(Vector.GP, 0);
        ulong sel = c.SysenterCs;
        bool to64 = u.Instr.Code == Code.Sysexitq;
        if (to64)
        {
            ulong rip = c.Get64(Reg.RDX), rsp = c.Get64(Reg.RCX);
            if (!IsCanonical(rip) || !IsCanonical(rsp)) c.RaiseFault(Vector.GP, 0);
            c.Set64(Reg.RSP, rsp);
            Enter(c, Flat((sel + 32) | 3, Code64Dpl3), Flat((sel + 40) | 3, DataDpl3), 3, rip);
        }
        else
        {
            c.Set32(Reg.RSP, c.Get32(Reg.RCX));
            Enter(c, Flat((sel + 16) | 3, Code32Dpl3), Flat((sel + 24) | 3, DataDpl3), 3, c.Get32(Reg.RDX));
        }
    }
}
