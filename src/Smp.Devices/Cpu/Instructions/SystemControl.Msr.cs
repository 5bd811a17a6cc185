using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

// RDMSR, WRMSR, CPUID, RDTSC, RDTSCP, RDPID, RDPMC, SWAPGS (SDM Vol. 2A–2B).
internal static unsafe partial class SystemControl
{
    [InstructionFamily]
    internal static void RegisterMsrAndIdentification()
    {
        HandlerTable.Register(Code.Rdmsr, &Rdmsr);
        HandlerTable.Register(Code.Wrmsr, &Wrmsr, endsBlock: true);
        HandlerTable.Register(Code.Cpuid, &CpuidInstr);
        HandlerTable.Register(Code.Rdtsc, &Rdtsc);
        HandlerTable.Register(Code.Rdtscp, &Rdtscp);
        HandlerTable.Register(&Rdpid, false, Code.Rdpid_r32, Code.Rdpid_r64);
        HandlerTable.Register(Code.Rdpmc, &Rdpmc);
        HandlerTable.Register(Code.Swapgs, &Swapgs, endsBlock: true);
    }

    // RDMSR: CPL 0; ECX selects the MSR; EDX:EAX ← value (upper halves of RDX/RAX cleared). Unknown → #GP(0).
    private static void Rdmsr(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        uint msr = c.Get32(Reg.RCX);
        c.BeginPreciseClock(ref u);
        bool ok = c.TryReadMsr(msr, out ulong v);
        c.EndPreciseClock();
        if (!ok) c.RaiseFault(Vector.GP, 0);
        c.Set32(Reg.RAX, (uint)v);
        c.Set32(Reg.RDX, (uint)(v >> 32));
    }

    // WRMSR: CPL 0; MSR[ECX] ← EDX:EAX; reserved bits, read-only or unknown MSRs → #GP(0).
    private static void Wrmsr(CpuCore c, ref Uop u)
    {
        RequireCpl0(c);
        uint msr = c.Get32(Reg.RCX);
        ulong v = ((ulong)c.Get32(Reg.RDX) << 32) | c.Get32(Reg.RAX);
        c.BeginPreciseClock(ref u);
        bool ok = c.TryWriteMsr(msr, v);
        c.EndPreciseClock();
        if (!ok) c.RaiseFault(Vector.GP, 0);
        c.Observer?.MsrWritten(c, msr, v);
        c.RequestExit();
    }

    private static void CpuidInstr(CpuCore c, ref Uop u)
    {
        Cpuid.Query(c, c.Get32(Reg.RAX), c.Get32(Reg.RCX), out uint a, out uint b, out uint cx, out uint d);
        c.Set32(Reg.RAX, a);
        c.Set32(Reg.RBX, b);
        c.Set32(Reg.RCX, cx);
        c.Set32(Reg.RDX, d);
    }

    // RDTSC/RDTSCP: #GP(0) when CR4.TSD = 1 and CPL > 0 (SDM Vol. 2B); the value is exact to the instruction.
    private static ulong ReadTsc(CpuCore c, ref Uop u)
    {
        if ((c.Cr4 & CpuCore.Cr4Tsd) != 0 && c.Cpl != 0 && c.ProtectedMode) c.RaiseFault(Vector.GP, 0);
        c.BeginPreciseClock(ref u);
        ulong tsc = c.Tsc;
        c.EndPreciseClock();
        return tsc;
    }

    private static void Rdtsc(CpuCore c, ref Uop u)
    {
        ulong tsc = ReadTsc(c, ref u);
        c.Set32(Reg.RAX, (uint)tsc);
        c.Set32(Reg.RDX, (uint)(tsc >> 32));
    }

    private static void Rdtscp(CpuCore c, ref Uop u)
    {
        ulong tsc = ReadTsc(c, ref u);
        c.Set32(Reg.RAX, (uint)tsc);
        c.Set32(Reg.RDX, (uint)(tsc >> 32));
        c.Set32(Reg.RCX, (uint)c.TscAux);
    }

    // RDPID (SDM Vol. 2B): IA32_TSC_AUX into a register at any privilege level; r32 outside 64-bit mode, r64 in it.
    private static void Rdpid(CpuCore c, ref Uop u)
    {
        if (u.Instr.Code == Code.Rdpid_r64) c.Set64(u.R0, c.TscAux);
        else c.Set32(u.R0, (uint)c.TscAux);
    }

    // RDPMC (SDM Vol. 2B): #GP(0) at CPL > 0 without CR4.PCE, and for a counter that does not exist. CPUID leaf 0AH
    // reports no performance-monitoring counters, so every ECX names a counter that does not exist: always #GP(0).
    private static void Rdpmc(CpuCore c, ref Uop u) => c.RaiseFault(Vector.GP, 0);

    // SWAPGS (SDM Vol. 2B): 64-bit mode only (#UD elsewhere), CPL 0; exchanges GS.base and IA32_KERNEL_GS_BASE.
    private static void Swapgs(CpuCore c, ref Uop u)
    {
        if (!c.Is64) c.RaiseFault(Vector.UD);
        RequireCpl0(c);
        ulong gs = c.Segs[Seg.GS].Base;
        c.WriteSegmentBase(Seg.GS, c.KernelGsBase);
        c.KernelGsBase = gs;
        c.Observer?.SwapGs(c, c.Segs[Seg.GS].Base);
    }
}
