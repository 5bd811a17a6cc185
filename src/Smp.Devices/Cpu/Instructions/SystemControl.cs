using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// System instructions (SDM Vol. 3A §2.8): HLT, LGDT/LIDT/SGDT/SIDT, INVLPG, INVD/WBINVD. Control
/// and debug registers are in SystemControl.Registers.cs; MSRs, CPUID, TSC and SWAPGS in SystemControl.Msr.cs.
/// </summary>
internal static unsafe partial class SystemControl
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Hlt, &Hlt, endsBlock: true);
        HandlerTable.Register(&Lgdt, true, Code.Lgdt_m1632_16, Code.Lgdt_m1632, Code.Lgdt_m1664);
        HandlerTable.Register(&Lidt, true, Code.Lidt_m1632_16, Code.Lidt_m1632, Code.Lidt_m1664);
        HandlerTable.Register(&Sgdt, false, Code.Sgdt_m1632_16, Code.Sgdt_m1632, Code.Sgdt_m1664);
        HandlerTable.Register(&Sidt, false, Code.Sidt_m1632_16, Code.Sidt_m1632, Code.Sidt_m1664);
        HandlerTable.Register(Code.Invlpg_m, &Invlpg, endsBlock: true);
        // F3 0F 09 (WBNOINVD) is WBINVD on a CPU that does not enumerate WBNOINVD: the prefix is ignored.
        HandlerTable.Register(&CacheFlush, false, Code.Invd, Code.Wbinvd, Code.Wbnoinvd);
        // No system-management mode: RSM outside SMM is #UD (SDM Vol. 2B RSM).
        HandlerTable.Register(Code.Rsm, &RaiseUd);
    }

    private static void RequireCpl0(CpuCore c)
    {
        if (c.Cpl != 0) c.RaiseFault(Vector.GP, 0);
    }

    /// <summary>
    /// User-mode instruction prevention: with CR4.UMIP = 1, SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) at
    /// CPL &gt; 0 before touching their operand (SDM Vol. 3A §2.5 CR4.UMIP; the instructions' pseudo-code).
    /// </summary>
    internal static void CheckUmip(CpuCore c)
    {
        if ((c.Cr4 & CpuCore.Cr4Umip) != 0 && c.Cpl > 0) c.RaiseFault(Vector.GP, 0);
    }

    // HLT (SDM Vol. 2A): CPL 0 only; the CPU stops until an interrupt, NMI, INIT or SMI.
    private static void Hlt(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        c.State = RunState.Halted;
        c.Observer?.Halted(c);
        c.RequestExit();
    }

    private static void Lgdt(CpuCore c, ref Uop u)
    {
        var r = LoadTableRegister(c, ref u);
        c.Gdtr = r;
        c.Observer?.DescriptorTableLoaded(c, DescriptorTable.Gdt, r.Base, r.Limit, 0);
        c.RequestExit();
    }

    private static void Lidt(CpuCore c, ref Uop u)
    {
        var r = LoadTableRegister(c, ref u);
        c.Idtr = r;
        c.Observer?.DescriptorTableLoaded(c, DescriptorTable.Idt, r.Base, r.Limit, 0);
        c.RequestExit();
    }

    // LGDT/LIDT (SDM Vol. 2A): a 16-bit limit then the base: 8 bytes in 64-bit mode; otherwise 4 bytes,
    // of which only 24 bits are used with a 16-bit operand size. A non-canonical 64-bit base is #GP(0) (as Bochs).
    private static DescriptorTableRegister LoadTableRegister(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        bool is64 = c.Is64;
        ulong la = c.OperandAddress(ref u, is64 ? 10 : 6, false);
        ushort limit = c.Read16(la);
        ulong baseAddr;
        if (is64)
        {
            baseAddr = c.Read64(la + 2);
            if ((ulong)(((long)baseAddr << 16) >> 16) != baseAddr) c.RaiseFault(Vector.GP, 0);
        }
        else
        {
            baseAddr = c.Read32((la + 2) & 0xFFFF_FFFFUL);
            if (u.Instr.Code is Code.Lgdt_m1632_16 or Code.Lidt_m1632_16) baseAddr &= 0x00FF_FFFF;
        }
        return new DescriptorTableRegister { Base = baseAddr, Limit = limit };
    }

    private static void Sgdt(CpuCore c, ref Uop u) => StoreTableRegister(c, ref u, c.Gdtr);

    private static void Sidt(CpuCore c, ref Uop u) => StoreTableRegister(c, ref u, c.Idtr);

    // SGDT/SIDT (SDM Vol. 2B): privileged only under UMIP. The limit then a 4-byte base (16- and 32-bit
    // operand sizes alike) or an 8-byte base in 64-bit mode. Both pieces are translated before either is written.
    private static void StoreTableRegister(CpuCore c, ref Uop u, DescriptorTableRegister r)
    {
        CheckUmip(c);
        bool is64 = c.Is64;
        int size = is64 ? 10 : 6;
        ulong la = c.OperandAddress(ref u, size, true);
        ulong baseLa = is64 ? la + 2 : (la + 2) & 0xFFFF_FFFFUL;
        // Probe the last byte so that a #PF on a second page happens before anything is written.
        ulong lastLa = is64 ? la + (ulong)size - 1 : (la + (ulong)size - 1) & 0xFFFF_FFFFUL;
        c.Write8(lastLa, c.Read8(lastLa));
        c.Write16(la, r.Limit);
        if (is64) c.Write64(baseLa, r.Base);
        else c.Write32(baseLa, (uint)r.Base);
    }

    // INVLPG (SDM Vol. 2A): CPL 0; invalidates the translation of the operand's linear address. No
    // segment-limit check; a non-canonical address is a no-op.
    private static void Invlpg(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        ulong ea = c.EffectiveAddress(ref u);
        ulong segBase = c.Is64 && u.Seg < Seg.FS ? 0 : c.Segs[u.Seg].Base;
        ulong la = c.Is64 ? segBase + ea : (segBase + ea) & 0xFFFF_FFFFUL;
        c.FlushTlbPage(la);
    }

    private static void RaiseUd(CpuCore c, ref Uop u) => c.RaiseFault(Vector.UD);

    // INVD/WBINVD: CPL 0; caches are not modelled, so they do nothing else.
    private static void CacheFlush(CpuCore c, ref Uop u) => RequireCpl0(c);
}
